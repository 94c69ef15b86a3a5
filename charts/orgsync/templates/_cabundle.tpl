{{/* The ConfigMap holding the CA bundle, "" for none. */}}
{{- define "orgsync.caBundle.configMap" -}}
{{- if .Values.caBundle.pem -}}
{{ include "orgsync.fullname" . }}-ca-bundle
{{- else if .Values.caBundle.configMap.name -}}
{{ .Values.caBundle.configMap.name }}
{{- end -}}
{{- end }}

{{/* The key of the CA bundle in its ConfigMap. */}}
{{- define "orgsync.caBundle.key" -}}
{{- if .Values.caBundle.pem -}}
ca.crt
{{- else -}}
{{ .Values.caBundle.configMap.key }}
{{- end -}}
{{- end }}
