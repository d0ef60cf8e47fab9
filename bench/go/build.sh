#!/usr/bin/env bash
# Builds the grpc-go benchmark peers (a load generator and an ack-only server) into DIR/bin.
# Needs Debian's golang-go, golang-google-grpc-dev, golang-google-protobuf-dev, protoc-gen-go and
# protobuf-compiler (see bench/README or `npm run bench`); the Go code for the proto is generated
# here, into DIR, never committed. GOPATH mode: everything comes from Debian's /usr/share/gocode.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: build.sh DIR}
src="$out/src/tgwbench"
mkdir -p "$src/pb" "$src/loadgen" "$src/ackserver" "$out/bin"
protoc -I "$root/proto" -I /usr/include \
  --go_out="$src/pb" --go_opt=paths=source_relative \
  --go_opt=Mtelemetrygateway/v1/telemetrygateway.proto=tgwbench/pb \
  "$root/proto/telemetrygateway/v1/telemetrygateway.proto"
mv "$src/pb/telemetrygateway/v1/"*.go "$src/pb/"
cp "$here/loadgen/main.go" "$src/loadgen/main.go"
cp "$here/ackserver/main.go" "$src/ackserver/main.go"
export GOPATH="$out:/usr/share/gocode" GO111MODULE=off GOCACHE="$out/cache" GOFLAGS=
(cd "$src/loadgen" && go build -o "$out/bin/loadgen" .)
(cd "$src/ackserver" && go build -o "$out/bin/ackserver" .)
