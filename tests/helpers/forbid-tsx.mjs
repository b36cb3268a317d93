// Loaded with `node --import` to prove a code path runs without tsx: resolving tsx or any
// .ts module throws, so a process that reaches the TypeScript program fails loudly.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  if (/^tsx(\\/|$)/.test(specifier) || /\\.ts$/.test(specifier)) throw new Error('forbid-tsx: tried to load ' + specifier);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
