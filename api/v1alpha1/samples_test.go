/*
Copyright 2026 The orgsync Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/orgsync/orgsync/api/v1alpha1"
)

var _ = Describe("The samples in config/samples", func() {
	It("are accepted by the API server, and each Secret lends its credentials to its account", func() {
		files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "cloud_*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		var modes []string
		named := false
		for _, f := range files {
			data, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			lenders := map[string]string{} // Secret name -> its consent annotation
			for _, doc := range bytes.Split(data, []byte("\n---\n")) {
				obj := &unstructured.Unstructured{}
				Expect(yaml.Unmarshal(doc, &obj.Object)).To(Succeed(), f)
				switch obj.GetKind() {
				case "Secret":
					lenders[obj.GetName()] = obj.GetAnnotations()[v1.AnnotationAccounts]
				case "CloudAccount":
					Expect(k8sClient.Create(ctx, obj, client.DryRunAll)).To(Succeed(), "%s is refused", f)
					secret, _, _ := unstructured.NestedString(obj.Object, "spec", "credentialsSecretRef", "name")
					Expect(strings.Split(lenders[secret], ",")).To(ContainElement(obj.GetName()),
						"%s: Secret %s does not lend its credentials to %s", f, secret, obj.GetName())
					mode, _, _ := unstructured.NestedString(obj.Object, "spec", "mode")
					modes = append(modes, mode)
					refs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "azure", "organizations")
					named = named || len(refs) > 0
				default:
					Fail(f + ": unexpected kind " + obj.GetKind())
				}
			}
		}
		Expect(slices.Contains(modes, string(v1.ModePlan))).To(BeTrue(), "a sample shows plan mode")
		Expect(named).To(BeTrue(), "a sample shows named Azure organizations")
	})
})
