import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';
import { Code, GatewayError } from '../../core/status.js';

/** A GatewayError as the status grpc-js sends; anything else is a bug and says nothing more to the peer. */
export function toServiceError(error: unknown): Partial<ServiceError> & { code: GrpcStatus; details: string } {
  if (error instanceof GatewayError) {
    return { code: error.code as number as GrpcStatus, details: error.message, metadata: new Metadata() };
  }
  return { code: GrpcStatus.INTERNAL, details: 'internal error', metadata: new Metadata() };
}

export function statusCodeOf(error: unknown): Code {
  return error instanceof GatewayError ? error.code : Code.INTERNAL;
}
