import { toBinary, type DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { Server } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { file_telemetrygateway_v1_telemetrygateway } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';

/** Every file the gateway's messages are defined in, dependencies first. */
function filesOf(file: DescFile, seen = new Set<string>()): DescFile[] {
  if (seen.has(file.name)) return [];
  seen.add(file.name);
  return [...file.dependencies.flatMap((dep) => filesOf(dep, seen)), file];
}

/**
 * Adds gRPC server reflection, fed from the descriptors protobuf-es generated
 * rather than a second parse of the .proto files, so both can never disagree.
 */
export function addReflection(server: Server): void {
  const fileDescriptorProtos = filesOf(file_telemetrygateway_v1_telemetrygateway).map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  // @grpc/reflection reads only `fileDescriptorProtos` from each package-definition entry; `format` and
  // `type` are there to make the entry a well-typed proto-loader message definition (no cast needed).
  const packageDefinition: ConstructorParameters<typeof ReflectionService>[0] = {
    'telemetrygateway.v1': { format: 'Protocol Buffer 3 DescriptorProto', type: {}, fileDescriptorProtos },
  };
  new ReflectionService(packageDefinition).addToServer(server);
}
