// Registers the workflow's custom search attributes on a namespace, once.
// The dev server only applies --search-attribute when it creates the
// namespace, and the time-skipping server starts empty, so both the start
// script and the tests call this.
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { searchAttributes } from '../../workflows/definitions';

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeFlags(): string[] {
  return Object.values(searchAttributes).map((key) => `${key.name}=${key.type === 'DATETIME' ? 'Datetime' : 'Keyword'}`);
}

const GRPC_UNIMPLEMENTED = 12;

/** The custom attributes already there; the time-skipping server cannot list them, so none. */
async function registeredNames(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set(Object.keys(existing.customAttributes ?? {}));
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_UNIMPLEMENTED) return new Set();
    throw err;
  }
}

export async function ensureSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<string[]> {
  const known = await registeredNames(connection, namespace);
  const missing = Object.values(searchAttributes).filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
  });
  return missing.map((key) => key.name);
}
