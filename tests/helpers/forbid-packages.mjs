// Loaded with `node --import` to prove a code path stays light: resolving any package from
// node_modules (a bare specifier that is not a node: builtin) throws, so a process that would
// load the config's YAML reader, the database driver or anything else fails loudly.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  if (!/^(node:|[./]|file:|data:)/.test(specifier)) throw new Error('forbid-packages: tried to load ' + specifier);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
