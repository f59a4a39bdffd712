/**
 * Functions in the pending-set model: CREATE [OR REPLACE] FUNCTION with its
 * declared volatility (VOLATILE when not said, as in PostgreSQL), ALTER
 * FUNCTION … IMMUTABLE/STABLE/VOLATILE, DROP FUNCTION. Overloads are told
 * apart by their argument types.
 */
import { as, list, names, typeNameText, type Node, type ParsedStatement } from '../parser/parse';
import type { FunctionScope, ModelFunction } from './model-types';
import type { Volatility } from './volatility';

/** Argument modes that are part of the call signature (OUT and TABLE columns are not). */
const INPUT_MODES = new Set(['FUNC_PARAM_IN', 'FUNC_PARAM_INOUT', 'FUNC_PARAM_VARIADIC', 'FUNC_PARAM_DEFAULT']);

export function applyFunctionStatement(model: FunctionScope, s: Pick<ParsedStatement, 'kind' | 'node'>): void {
  const n = s.node;
  if (s.kind === 'CreateFunctionStmt' && !n.is_procedure) createFunction(model, n);
  if (s.kind === 'AlterFunctionStmt' && n.objtype === 'OBJECT_FUNCTION') alterFunction(model, n);
  if (s.kind === 'DropStmt' && n.removeType === 'OBJECT_FUNCTION') {
    for (const o of list(n.objects)) dropFunction(model, as(o, 'ObjectWithArgs'));
  }
}

function qualified(model: FunctionScope, parts: string[]): { schema: string; name: string } {
  const name = parts[parts.length - 1] ?? '';
  return { schema: parts.length > 1 ? parts[parts.length - 2] : model.creationSchema(), name };
}

function volatilityOf(options: unknown): Volatility | undefined {
  const d = list(options)
    .map((o) => as(o, 'DefElem'))
    .find((o) => o?.defname === 'volatility');
  const v = String((as(d?.arg, 'String')?.sval as string | undefined) ?? '').toLowerCase();
  return v === 'immutable' || v === 'stable' || v === 'volatile' ? v : undefined;
}

function createFunction(model: FunctionScope, n: Node): void {
  const { schema, name } = qualified(model, names(n.funcname));
  const params = list(n.parameters)
    .map((p) => as(p, 'FunctionParameter'))
    .filter((p): p is Node => !!p && INPUT_MODES.has(String(p.mode)));
  const argTypes = params.map((p) => typeNameText(p.argType));
  let ndefaults = 0;
  for (let k = params.length - 1; k >= 0 && params[k].defexpr !== undefined; k--) ndefaults++;
  const f: ModelFunction = {
    schema,
    name,
    argTypes,
    nargs: params.length,
    ndefaults,
    variadic: params.some((p) => p.mode === 'FUNC_PARAM_VARIADIC'),
    volatility: volatilityOf(n.options) ?? 'volatile',
  };
  const at = model.functions.findIndex((g) => sameFunction(g, f.schema, f.name, argTypes));
  if (at >= 0) model.functions.splice(at, 1, f);
  else model.functions.push(f);
}

function sameFunction(f: ModelFunction, schema: string, name: string, argTypes: string[] | undefined): boolean {
  return f.schema === schema && f.name === name && (argTypes === undefined || f.argTypes.join(',') === argTypes.join(','));
}

/** The functions an ObjectWithArgs names: all overloads when the arguments are not given. */
function named(model: FunctionScope, o: Node | undefined): ModelFunction[] {
  if (!o) return [];
  const parts = names(o.objname);
  const argTypes = o.args_unspecified ? undefined : list(o.objargs).map((t) => typeNameText(as(t, 'TypeName')));
  const schemas = parts.length > 1 ? [parts[parts.length - 2]] : model.searchPath;
  const name = parts[parts.length - 1] ?? '';
  return model.functions.filter((f) => schemas.some((s) => sameFunction(f, s, name, argTypes)));
}

function alterFunction(model: FunctionScope, n: Node): void {
  const v = volatilityOf(n.actions);
  if (!v) return;
  for (const f of named(model, as(n.func, 'ObjectWithArgs') ?? (n.func as Node | undefined))) f.volatility = v;
}

function dropFunction(model: FunctionScope, o: Node | undefined): void {
  for (const f of named(model, o)) model.functions.splice(model.functions.indexOf(f), 1);
}
