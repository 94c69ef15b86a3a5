# The release version is the chart's appVersion; the image tag follows it.
VERSION ?= $(shell awk '/^appVersion:/ { gsub(/"/, "", $$2); print $$2 }' charts/orgsync/Chart.yaml)
# Where 'make release' publishes (REGISTRY/orgsync, oci://REGISTRY/charts/orgsync).
REGISTRY ?=
# Image URL to use for all building/pushing image targets.
IMG ?= $(or $(REGISTRY),ghcr.io/orgsync)/orgsync:$(VERSION)

# Get the currently used golang install path (in GOPATH/bin, unless GOBIN is set).
ifeq (,$(shell go env GOBIN))
GOBIN=$(shell go env GOPATH)/bin
else
GOBIN=$(shell go env GOBIN)
endif

# CONTAINER_TOOL defines the container tool to be used for building images.
CONTAINER_TOOL ?= docker

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs (config/crd/bases, and the chart's copies) and the manager's RBAC (config/rbac/role.yaml).
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/chart-crds.sh
	go run ./cmd/gen-dashboard charts/orgsync/files/dashboard.json

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

# Files that manifests and generate write. verify-generated looks only at these, so
# a hand edit in progress elsewhere under api/ or config/ is not mistaken for stale output.
GENERATED_PATHS = config/crd/bases config/rbac/role.yaml charts/orgsync/templates/crds charts/orgsync/files/dashboard.json ':(glob)api/**/zz_generated.*.go'

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when the committed generated files are stale.
	@if ! git diff --quiet -- $(GENERATED_PATHS); then \
		git --no-pager diff --stat -- $(GENERATED_PATHS); \
		echo "error: generated files are stale: run 'make manifests generate' and commit the result." >&2; \
		exit 1; \
	fi
	@untracked="$$(git ls-files --others --exclude-standard -- $(GENERATED_PATHS))"; \
	if [ -n "$$untracked" ]; then \
		echo "$$untracked"; \
		echo "error: generated files are not committed: git add them and commit." >&2; \
		exit 1; \
	fi

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

# Run the tests with the race detector: RACE= (empty) turns it off.
RACE ?= -race
# How much each fuzz target runs in 'make fuzz'. A count, not a duration: with a
# duration, Go before 1.27 can fail a target with "context deadline exceeded" when
# the deadline races a busy worker (go.dev/issue/75804); a count has no deadline.
# About 5s a target on 2 cores; FUZZTIME=10m still works for a long local run.
FUZZTIME ?= 50000x

.PHONY: lint
lint: golangci-lint actionlint ## Run golangci-lint (.golangci.yml) on all code, its kube-api-linter (.golangci-kal.yml) on api/, and actionlint on the GitHub workflows.
	$(GOLANGCI_LINT) run --build-tags e2e ./...
	$(GOLANGCI_LINT) run --config .golangci-kal.yml ./api/...
	$(MAKE) --no-print-directory lint-workflows

# actionlint checks the workflows' syntax, expressions, action inputs and
# permissions. Its shellcheck and pyflakes passes are off so that a machine with
# those installed and one without (this one) give the same verdict.
.PHONY: lint-workflows
lint-workflows: actionlint ## Lint .github/workflows with actionlint.
	$(ACTIONLINT) -shellcheck= -pyflakes= .github/workflows/*.yml

# make test runs no separate 'go vet': golangci-lint's govet runs every analyzer go vet
# runs by default (and the e2e-tagged files too), and vet's own build of every
# dependency cost a cold run minutes.
.PHONY: test
test: test-deps verify-generated lint ## Check generated files, lint (go vet's checks and workflows included), run all tests (chart and release tests included) against envtest, fuzz, then the e2e test on a real node.
	@assets="$(KUBEBUILDER_ASSETS)"; \
	if [ -z "$$assets" ]; then echo "error: hack/envtest-assets.sh printed no directory" >&2; exit 1; fi; \
	echo "KUBEBUILDER_ASSETS=$$assets"; \
	KUBEBUILDER_ASSETS="$$assets" go test ./... $(RACE) -count=1
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory test-e2e

# make test-unit and make test-int split 'go test ./...' for the loop of working:
# test-unit starts no API server and builds no tool (the envtest suites skip under
# -short; test/ holds the chart's and the e2e tests); test-int runs the packages
# whose tests start one. make test still runs every test, under -race, for CI.
UNIT_PKGS = $(shell go list ./... | grep -v '/test/')
INT_PKGS = $(shell go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | awk '/sigs.k8s.io\/controller-runtime\/pkg\/envtest( |$$)/ { print $$1 }')

.PHONY: test-unit
test-unit: ## Run the unit tests: no API server, no tool to build (under a minute with warm Go caches).
	go test -short -count=1 $(UNIT_PKGS)

.PHONY: test-int
test-int: chart-tools envtest-assets ## Run the tests that start an API server (envtest): the API schema, the controller, the self-check, the chart's install.
	KUBEBUILDER_ASSETS="$(KUBEBUILDER_ASSETS)" go test -count=1 $(INT_PKGS)

.PHONY: test-chart
test-chart: chart-tools envtest-assets ## Lint, unit-test and install the Helm chart (Helm v3 and v4) into a real API server.
	KUBEBUILDER_ASSETS="$(KUBEBUILDER_ASSETS)" go test ./test/chart/ -count=1 -v

# hack/fuzz-targets.sh lists the fuzz targets from the sources ('go test -list' would
# link every package's test binary to find them); go test can fuzz only one target of
# one package at a time.
.PHONY: fuzz
fuzz: ## Run every Fuzz* target in the repository for FUZZTIME each.
	@targets="$$(hack/fuzz-targets.sh)"; \
	if [ -z "$$targets" ]; then echo "fuzz: no Fuzz targets"; exit 0; fi; \
	while read -r pkg name; do \
		echo "fuzz: $$pkg $$name for $(FUZZTIME)"; \
		go test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) "$$pkg"; \
	done <<< "$$targets"

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary.
	go build -o bin/orgsync .

.PHONY: run
run: manifests generate fmt vet ## Run the operator from your host against the current kubeconfig.
	go run .

.PHONY: demo
HOLD ?=
demo: ## Sync simulated Confluent, Azure and Cloud Foundry lists into a local control plane and show them (HOLD=1 keeps it running).
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" go run ./cmd/demo $(if $(HOLD),-hold)

# make bench: sizes are mirrors in all; each size runs once per identity in
# IDENTITIES (the chart's service account under API Priority and Fairness, and the
# same account exempt from it); the bare client's tries run at each of LIMIT_WORKERS
# requests in flight; BENCH_OUT receives the Markdown report.
SIZES ?= 1000,10000,20000
IDENTITIES ?= service-account,exempt
LIMIT_WORKERS ?= 8,16,32,64
BENCH_OUT ?= docs/benchmarks.md
.PHONY: bench
bench: ## Run the built operator with its shipped defaults against a local API server and cloudsim, beside a bare client's limit; print a table and write BENCH_OUT (SIZES=1000,10000,20000).
	go build -o bin/orgsync .
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" \
	BENCH_COMMAND="make bench SIZES=$(SIZES) IDENTITIES=$(IDENTITIES) LIMIT_WORKERS=$(LIMIT_WORKERS) BENCH_OUT=$(BENCH_OUT)" \
		go run ./cmd/bench -manager bin/orgsync -sizes $(SIZES) -identities $(IDENTITIES) -limit-workers $(LIMIT_WORKERS) -out $(BENCH_OUT)

# The image: one static binary per platform, cross-compiled (no emulation), with
# no build paths in it, so one commit gives one digest. IMAGE_ARCHES=amd64 builds
# one platform only. IMAGE_GOFLAGS say on the command line what a machine's
# GOFLAGS or go env may say otherwise: no VCS stamp (a clone without .git, or a
# dirty tree, would change the binary) and the baseline instruction sets.
IMAGE_GOFLAGS = -trimpath -buildvcs=false -ldflags="-s -w"
IMAGE_GOENV = CGO_ENABLED=0 GOAMD64=v1 GOARM64=v8.0
IMAGE_ARCHES ?= amd64 arm64
IMAGE_TAR ?= bin/orgsync-image.tar
IMAGE_REVISION ?= $(shell git describe --always --dirty --abbrev=40 --match='NeVeR' 2>/dev/null)

.PHONY: image
image: ## Build the operator image, an OCI image index of IMAGE_ARCHES (linux/amd64 and linux/arm64), as an OCI archive (IMAGE_TAR), without a container engine.
	@mkdir -p bin/image
	@for a in $(IMAGE_ARCHES); do \
		echo "go build linux/$$a"; \
		$(IMAGE_GOENV) GOOS=linux GOARCH=$$a go build $(IMAGE_GOFLAGS) -o bin/image/manager-linux-$$a . ; \
	done
	go run ./cmd/build-image $(foreach a,$(IMAGE_ARCHES),-binary $(a)=bin/image/manager-linux-$(a)) \
		-ref $(IMG) -version $(VERSION) -revision "$(IMAGE_REVISION)" -out $(IMAGE_TAR)

# One CycloneDX SBOM per platform, read from the binary's embedded module list
# (what was linked, with the go.sum hashes), without serial number or timestamp so
# it is as reproducible as the image. GOOS/GOARCH are the binary's: cyclonedx-gomod
# writes them into every package URL.
.PHONY: sbom
sbom: image cyclonedx-gomod ## Write the CycloneDX SBOM of each platform's binary (bin/image/sbom-linux-ARCH.cdx.json).
	@for a in $(IMAGE_ARCHES); do \
		GOOS=linux GOARCH=$$a $(CYCLONEDX_GOMOD) bin -json -noserial -notimestamp -version v$(VERSION) \
			-output bin/image/sbom-linux-$$a.cdx.json bin/image/manager-linux-$$a; \
		echo "bin/image/sbom-linux-$$a.cdx.json"; \
	done

# make release REGISTRY=ghcr.io/orgsync pushes the image index to
# REGISTRY/orgsync:VERSION with each platform's SBOM attached as an OCI referrer,
# and the chart, its image pinned to the index's digest, to oci://REGISTRY/charts.
# A registry on loopback is spoken to in plain HTTP. RELEASE_RESULT receives the
# digests pushed (for make sign).
RELEASE_RESULT ?= bin/release.env

.PHONY: release
release: sbom ## Publish the image index (+SBOMs) and the chart to an OCI registry: make release REGISTRY=host[:port][/path].
	@if [ -z "$(REGISTRY)" ]; then echo "error: say where: make release REGISTRY=host[:port][/path]" >&2; exit 2; fi
	go run ./cmd/release -registry $(REGISTRY) -version $(VERSION) -archive $(IMAGE_TAR) \
		$(foreach a,$(IMAGE_ARCHES),-sbom $(a)=bin/image/sbom-linux-$(a).cdx.json) \
		-chart charts/orgsync -helm "$$(hack/tool.sh helm)" -result $(RELEASE_RESULT)

# The release the e2e test upgrades from: no release was ever published where the
# test can reach it, so hack/e2e.sh rebuilds it from this commit, the last one of
# chart 0.1.0 (before releases went to a registry). Once a release is tagged, name
# its tag here.
PREVIOUS_RELEASE ?= 3afe4d259b45de9770081b67ece288669b7fc2e4

.PHONY: test-e2e
test-e2e: ## Run the end-to-end test: make release to a registry on loopback, then install from it on a real one-node cluster, upgrading from PREVIOUS_RELEASE (root; see README).
	E2E_PREVIOUS_RELEASE=$(PREVIOUS_RELEASE) hack/e2e.sh

.PHONY: node-up
NODE_DIR ?= /tmp/orgsync-node
node-up: ## Start a one-node cluster under NODE_DIR (root); then 'source $(NODE_DIR)/env'.
	hack/node/up.sh $(NODE_DIR)

.PHONY: node-down
node-down: ## Stop the node under NODE_DIR and clean up after it.
	hack/node/down.sh $(NODE_DIR)

.PHONY: docker-build
docker-build: ## Build the same image with Docker, for those who have it.
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the manager image.
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: print-version
print-version: ## Print the release version (the chart's appVersion).
	@echo $(VERSION)

# The release workflow's first check: a tag vX.Y.Z must name the chart's appVersion,
# and the chart's own version must be the same (make release publishes the chart
# under its version, the image under appVersion).
CHART_VERSION = $(shell awk '/^version:/ { gsub(/"/, "", $$2); print $$2 }' charts/orgsync/Chart.yaml)
.PHONY: release-check-tag
release-check-tag: ## Fail unless TAG is v$(VERSION), the chart's appVersion, and the chart's version is $(VERSION) too.
	@if [ "$(CHART_VERSION)" != "$(VERSION)" ]; then echo "error: charts/orgsync/Chart.yaml has version '$(CHART_VERSION)' and appVersion '$(VERSION)': a release needs both the same" >&2; exit 1; fi
	@if [ "$(TAG)" != "v$(VERSION)" ]; then echo "error: tag '$(TAG)' is not v$(VERSION), the chart's appVersion" >&2; exit 1; fi
	@echo "tag $(TAG) releases $(VERSION)"

# make sign signs, by digest, what make release pushed (RELEASE_RESULT): the image
# index and every platform image under it (--recursive), and the chart. In the
# release workflow cosign signs keyless, with the workflow's OIDC identity.
COSIGN ?= cosign
.PHONY: sign
sign: ## Sign the released image index and chart by digest with cosign (RELEASE_RESULT from make release).
	@test -f $(RELEASE_RESULT) || { echo "error: no $(RELEASE_RESULT): run make release first" >&2; exit 1; }
	@. "$(abspath $(RELEASE_RESULT))" && \
		echo "signing $$IMAGE" && $(COSIGN) sign --yes --recursive "$$IMAGE" && \
		echo "signing $$CHART_REF" && $(COSIGN) sign --yes "$$CHART_REF"

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply -k config/crd

.PHONY: uninstall
uninstall: manifests ## Uninstall the CRDs. Call with ignore-not-found=true to ignore missing resources.
	$(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -k config/crd

# deploy renders config/default through a throwaway overlay under bin/ that sets the
# image, so it works with kubectl's built-in kustomize (which has no 'edit') and
# leaves config/ untouched. IMG may be name, name:tag or name@digest. The overlay
# renames "orgsync", the image name config/manager/kustomization.yaml already sets.
DEPLOY_OVERLAY = $(LOCALBIN)/deploy

.PHONY: deploy
deploy: manifests deploy-overlay ## Deploy the operator (config/default) with image IMG.
	$(KUBECTL) apply -k $(DEPLOY_OVERLAY)

.PHONY: deploy-overlay
deploy-overlay: $(LOCALBIN) ## Write the overlay 'make deploy' applies (kubectl kustomize bin/deploy shows it).
	@mkdir -p $(DEPLOY_OVERLAY)
	@img='$(IMG)'; name="$$img"; tag=""; digest=""; \
	case "$$img" in \
	  *@*) name="$${img%%@*}"; digest="$${img#*@}" ;; \
	  *) case "$${img##*/}" in *:*) name="$${img%:*}"; tag="$${img##*:}" ;; esac ;; \
	esac; \
	{ echo "# Written by 'make deploy-overlay'."; \
	  echo "apiVersion: kustomize.config.k8s.io/v1beta1"; \
	  echo "kind: Kustomization"; \
	  echo "resources:"; \
	  echo "- ../../config/default"; \
	  echo "images:"; \
	  echo "- name: orgsync"; \
	  echo "  newName: $$name"; \
	  if [ -n "$$tag" ]; then echo "  newTag: $$tag"; fi; \
	  if [ -n "$$digest" ]; then echo "  digest: $$digest"; fi; \
	} > $(DEPLOY_OVERLAY)/kustomization.yaml

.PHONY: undeploy
undeploy: deploy-overlay ## Remove the operator. Call with ignore-not-found=true to ignore missing resources.
	$(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -k $(DEPLOY_OVERLAY)

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p $(LOCALBIN)

## Tool Binaries
KUBECTL ?= kubectl
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
CYCLONEDX_GOMOD ?= $(LOCALBIN)/cyclonedx-gomod
ACTIONLINT ?= $(LOCALBIN)/actionlint

# hack/envtest-assets.sh builds kube-apiserver and etcd once per machine (setup-envtest
# needs an internet download) and prints their directory. The eval makes this a lazy
# variable that runs the script at most once, and only in recipes that use it.
KUBEBUILDER_ASSETS ?= $(eval KUBEBUILDER_ASSETS := $$(shell hack/envtest-assets.sh))$(KUBEBUILDER_ASSETS)

.PHONY: envtest-assets
envtest-assets: ## Build (once) kube-apiserver and etcd for envtest and print their directory.
	@echo "$(KUBEBUILDER_ASSETS)"

# Everything make test builds before it checks anything, TOOLS_JOBS at a time: on a
# cold machine much of each build is fetching modules, which overlaps with compiling
# another. node-assets (CI only: the e2e test needs root) waits for envtest-assets,
# whose kube-apiserver build it would otherwise repeat at the same time.
TOOLS_JOBS ?= 4
TEST_TOOLS = controller-gen helm helm4 helm-unittest promtool cyclonedx-gomod golangci-lint actionlint

.PHONY: test-deps
test-deps: ## Build (once per machine) the tools, kube-apiserver and etcd, and in CI the node's components, side by side.
	@$(MAKE) --no-print-directory -j$(TOOLS_JOBS) $(addprefix tool-,$(TEST_TOOLS)) envtest-assets $(if $(CI),node-assets)

tool-%:
	@hack/tool.sh $* >/dev/null

.PHONY: node-assets
node-assets: envtest-assets ## Build (once) the one-node cluster's Kubernetes components and fetch containerd, runc and the CNI plugins.
	@hack/node/assets.sh >/dev/null

# Tools are built by hack/tool.sh from their own modules under hack/tools/<name>,
# pinned there, cached per user by version, and linked into bin/.
.PHONY: chart-tools
chart-tools: ## Build (once per machine and version) Helm v3, Helm v4, helm-unittest and promtool into bin/.
	@for t in helm helm4 helm-unittest promtool; do hack/tool.sh $$t >/dev/null; done

.PHONY: controller-gen
controller-gen: ## Build (once per machine and version) controller-gen, linked as bin/controller-gen.
	@hack/tool.sh controller-gen >/dev/null

.PHONY: golangci-lint
golangci-lint: ## Build (once per machine and version) golangci-lint with kube-api-linter built in, linked as bin/golangci-lint.
	@hack/tool.sh golangci-lint >/dev/null

.PHONY: cyclonedx-gomod
cyclonedx-gomod: ## Build (once per machine and version) cyclonedx-gomod, linked as bin/cyclonedx-gomod.
	@hack/tool.sh cyclonedx-gomod >/dev/null

.PHONY: actionlint
actionlint: ## Build (once per machine and version) actionlint, linked as bin/actionlint.
	@hack/tool.sh actionlint >/dev/null
