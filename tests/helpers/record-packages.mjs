// Loaded with `node --import`: appends every package the process resolves (a bare specifier,
// not a node: builtin) to the file named by RECORD_PACKAGES_FILE, one line each, so a test can
// tell which libraries a command really loaded.
import { register } from 'node:module';

const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (!/^(node:|[./]|file:|data:)/.test(specifier) && process.env.RECORD_PACKAGES_FILE) {
    appendFileSync(process.env.RECORD_PACKAGES_FILE, specifier + '\\n');
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
