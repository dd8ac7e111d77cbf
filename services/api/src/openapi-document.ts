/**
 * The OpenAPI document as clients get it. fastify-type-provider-zod files schemas that zod
 * emits as shared definitions (recursive ones: the composite rule's expression tree) under a
 * `__shared` component and points at them as `#/components/schemas/__shared#/$defs/<name>`,
 * a reference with two fragments that OpenAPI tools cannot resolve. Each such definition
 * becomes a component of its own (`Shared_<name>`) and every reference is rewritten.
 */
export function tidyOpenApiDocument<T>(doc: T): T {
  const text = JSON.stringify(doc).replace(/#\/components\/schemas\/__shared#\/\$defs\/([A-Za-z0-9_.-]+)/g, '#/components/schemas/Shared_$1');
  const tidy: unknown = JSON.parse(text);
  const schemas = componentSchemas(tidy);
  const shared = schemas?.__shared;
  if (schemas && typeof shared === 'object' && shared !== null && '$defs' in shared && typeof shared.$defs === 'object' && shared.$defs !== null) {
    for (const [name, schema] of Object.entries(shared.$defs)) schemas[`Shared_${name}`] = schema;
    delete schemas.__shared;
  }
  return tidy as T;
}

function componentSchemas(doc: unknown): Record<string, unknown> | undefined {
  if (typeof doc !== 'object' || doc === null || !('components' in doc)) return undefined;
  const c = doc.components;
  if (typeof c !== 'object' || c === null || !('schemas' in c)) return undefined;
  const s = c.schemas;
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : undefined;
}
