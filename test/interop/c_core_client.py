"""A gRPC C-core client (Debian's python3-grpcio) for interop tests.

Reads a JSON job on stdin: {"target", "authorization"?, "requests": [hex, ...], "unary": hex?}
and streams the pre-encoded RecordEventsRequest messages (or makes one RecordEvent call),
then prints {"responses": [hex, ...], "code": int, "details": str} on stdout.
Protobuf encoding stays on the TypeScript side: this only exercises C-core's HTTP/2 and gRPC framing.
"""
import json
import sys

import grpc

SERVICE = "/telemetrygateway.v1.TelemeteryGatewayService/"


def identity(b):
    return b


def main():
    job = json.load(sys.stdin)
    metadata = [("authorization", job["authorization"])] if job.get("authorization") else None
    with grpc.insecure_channel(job["target"]) as channel:
        if "unary" in job:
            call = channel.unary_unary(SERVICE + "RecordEvent", request_serializer=identity, response_deserializer=identity)
            try:
                response = call(bytes.fromhex(job["unary"]), metadata=metadata, timeout=30)
                print(json.dumps({"responses": [response.hex()], "code": 0, "details": ""}))
            except grpc.RpcError as error:
                print(json.dumps({"responses": [], "code": error.code().value[0], "details": error.details()}))
            return
        call = channel.stream_stream(SERVICE + "RecordEvents", request_serializer=identity, response_deserializer=identity)
        stream = call(iter([bytes.fromhex(r) for r in job["requests"]]), metadata=metadata, timeout=30)
        responses = []
        try:
            for response in stream:
                responses.append(response.hex())
            code, details = 0, ""
        except grpc.RpcError as error:
            code, details = error.code().value[0], error.details()
        print(json.dumps({"responses": responses, "code": code, "details": details}))


if __name__ == "__main__":
    main()
