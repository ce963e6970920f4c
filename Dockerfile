# syntax=docker/dockerfile:1
# Build: docker build --build-arg VERSION=$(git describe --always) -t balance .
# Run:   docker run -p 8080:8080 -v balance-data:/data balance
#
# The image is distroless (no shell, no package manager) and runs as the unprivileged user
# 65532 ("nonroot"). /data holds the SQLite database and its encryption key; it is owned by
# 65532, so a named volume works as is and a bind-mounted host directory needs
# `chown 65532:65532 DIR` first.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/balance . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/balance /usr/local/bin/balance
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
# Metrics listen inside the container network only: publish 8080, never 9090, to the internet.
ENV BALANCE_HTTP_ADDR=0.0.0.0:8080 \
    BALANCE_METRICS_ADDR=0.0.0.0:9090 \
    BALANCE_DATABASE_URL=sqlite:/data/balance.db
EXPOSE 8080 9090
# `balance healthcheck` asks /healthz at BALANCE_HTTP_ADDR, so it follows a changed address.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/balance", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/balance"]
CMD ["serve"]
