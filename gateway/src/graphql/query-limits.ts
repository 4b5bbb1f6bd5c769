import {
  Kind,
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { GqlErrorCode, gqlError } from './graphql-errors';

/** Deepest field nesting a query may have (mercurius `queryDepth`). */
export const MAX_QUERY_DEPTH = 8;
/** Highest estimated number of objects a query may ask for (see {@link queryCost}). */
export const MAX_QUERY_COST = 50_000;
/** Assumed length of a list that has no `first` argument (`files`, `groups`). */
export const DEFAULT_LIST_SIZE = 20;
/** `first` beyond this is refused by the resolvers themselves, so the estimate stops here. */
const MAX_FIRST = 500;

/**
 * Estimated number of objects a query returns: every object field counts once per object it may
 * return. A field with a `first` argument (a connection) multiplies what is below it by `first`
 * (its default when absent); a list without one by {@link DEFAULT_LIST_SIZE}; the `edges` of a
 * connection are already counted by its `first`. Scalars are free. With several operations in the
 * document, the costliest counts.
 */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> = {},
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

  const costOf = (parent: GraphQLCompositeType, set: SelectionSetNode, inConnection: boolean, path: Set<string>) => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += costOf(type, selection.selectionSet, inConnection, path);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (!fragment || !type || !isCompositeType(type) || path.has(fragment.name.value)) continue;
        total += costOf(type, fragment.selectionSet, inConnection, new Set([...path, fragment.name.value]));
        continue;
      }
      if (!isObjectType(parent) || !selection.selectionSet) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const type = getNamedType(field.type);
      if (!isCompositeType(type)) continue;
      let multiplier = 1;
      if (field.args.some((a) => a.name === 'first')) {
        let first: unknown;
        try {
          first = getArgumentValues(field, selection, variables).first;
        } catch {
          first = undefined;
        }
        multiplier = typeof first === 'number' && Number.isFinite(first) ? Math.min(Math.max(first, 1), MAX_FIRST) : 1;
      } else if (isListType(getNullableType(field.type)) && !inConnection) {
        multiplier = DEFAULT_LIST_SIZE;
      }
      const isConnection = type.name.endsWith('Connection');
      total += multiplier * (1 + costOf(type, selection.selectionSet, isConnection, path));
    }
    return total;
  };

  let max = 0;
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = schema.getRootType(def.operation);
    if (root) max = Math.max(max, costOf(root, def.selectionSet, false, new Set()));
  }
  return max;
}

/** Throws `QUERY_TOO_COSTLY` when the query's estimated cost is over {@link MAX_QUERY_COST}. */
export function assertQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown>,
  maxCost = MAX_QUERY_COST,
): void {
  const cost = queryCost(schema, document, variables);
  if (cost > maxCost) {
    throw gqlError(
      GqlErrorCode.QUERY_TOO_COSTLY,
      `Query is too costly: it may return about ${cost} objects, the limit is ${maxCost}. ` +
        'Ask for smaller pages (first) or fewer nested lists.',
      { cost, maxCost },
    );
  }
}
