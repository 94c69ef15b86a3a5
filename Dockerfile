# The same image 'make image' builds without Docker: the static manager, a CA bundle
# and the nonroot user, in a scratch image. cmd/build-image writes those files, so
# this file and 'make image' cannot drift apart on what the image holds.
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH

WORKDIR /workspace
# Modules first, so that layer is cached until the dependencies change.
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

COPY . .

# CGO off: the binary is static and needs no libc in the image. The flags are
# those of 'make image' (IMAGE_GOFLAGS, IMAGE_GOENV): no VCS stamp, baseline CPUs.
RUN CGO_ENABLED=0 GOAMD64=v1 GOARM64=v8.0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /manager . \
 && go run ./cmd/build-image -binary /manager -rootfs /rootfs

FROM scratch
COPY --from=builder /rootfs/ /
COPY --from=builder --chown=65532:65532 /rootfs/home/nonroot /home/nonroot
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /
USER 65532:65532
ENTRYPOINT ["/manager"]
