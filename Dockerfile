# Build the manager binary
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH

WORKDIR /workspace
# Copy the Go module manifests first and download modules, so that layer is cached
# until the dependencies change.
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

# Copy the Go source.
COPY . .

# CGO is off so the binary runs on distroless/static; GOARCH has no default so the
# image is built for the platform docker builds for.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o manager .

# Use distroless as minimal base image to package the manager binary.
# Refer to https://github.com/GoogleContainerTools/distroless for more details.
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]
