# syntax=docker/dockerfile:1
# Build: docker build -t balance .
# Run:   docker run -p 8080:8080 -v balance-data:/data balance

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/balance .

FROM alpine:3.20
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 balance \
 && adduser -S -u 10001 -G balance -h /data balance \
 && mkdir -p /data && chown balance:balance /data
COPY --from=build /out/balance /usr/local/bin/balance
USER balance:balance
WORKDIR /data
VOLUME ["/data"]
ENV BALANCE_HTTP_ADDR=0.0.0.0:8080 \
    BALANCE_DATABASE_URL=sqlite:/data/balance.db
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["balance"]
CMD ["serve"]
