/** Reading the schema's own shape: which keys a mapping at a path may hold. Pure. */
import type { z } from 'zod';

/**
 * The keys the mapping at `path` may hold, read from the schema itself, so a setting added
 * there is suggested without a second list to keep in step.
 */
export function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = schema;
  const rest = [...path];
  while (node !== undefined) {
    const def: z.core.$ZodTypeDef = node._zod.def;
    if (def.type === 'object') {
      const shape = (def as z.core.$ZodObjectDef).shape;
      if (rest.length === 0) return Object.keys(shape);
      node = shape[String(rest.shift())];
    } else if (def.type === 'array') {
      rest.shift();
      node = (def as z.core.$ZodArrayDef).element;
    } else if (def.type === 'default' || def.type === 'prefault' || def.type === 'optional') {
      node = (def as z.core.$ZodDefaultDef).innerType;
    } else if (def.type === 'pipe') {
      node = (def as z.core.$ZodPipeDef).in;
    } else return [];
  }
  return [];
}
