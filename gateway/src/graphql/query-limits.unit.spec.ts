import { buildSchema, parse } from 'graphql';
import { DEFAULT_LIST_SIZE, MAX_QUERY_COST, assertQueryCost, queryCost } from './query-limits';

const schema = buildSchema(`
  type Query { servers(first: Int = 50, after: String): ServerConnection!, groups: [Group!]!, version: String! }
  type ServerConnection { edges: [ServerEdge!]!, pageInfo: PageInfo!, totalCount: Int! }
  type ServerEdge { cursor: String!, node: Server! }
  type PageInfo { hasNextPage: Boolean! }
  type Server { id: ID!, company: Company!, files: [File!]!, groups: [Group!]! }
  type Company { id: ID!, name: String! }
  type File { name: String! }
  type Group { id: ID!, servers(first: Int = 50): ServerConnection! }
`);

const cost = (query: string, variables?: Record<string, unknown>) => queryCost(schema, parse(query), variables);

describe('query cost', () => {
  it('is free for scalars', () => {
    expect(cost('{ version }')).toBe(0);
  });

  it('multiplies a connection by first (its default when absent), counting edges once', () => {
    // servers: 50 x (1 + edges 1 x (1 + node 1 x (1 + company 1)))
    expect(cost('{ servers { edges { node { id company { name } } } } }')).toBe(50 * (1 + 1 + 1 + 1));
    expect(cost('{ servers(first: 10) { totalCount pageInfo { hasNextPage } } }')).toBe(10 * 2);
    expect(cost('query($n: Int) { servers(first: $n) { pageInfo { hasNextPage } } }', { n: 3 })).toBe(3 * 2);
  });

  it('counts a list without first as DEFAULT_LIST_SIZE items, through fragments', () => {
    const q = `{ servers(first: 2) { edges { node { ...F } } } } fragment F on Server { files { name } }`;
    expect(cost(q)).toBe(2 * (1 + 1 + 1 + DEFAULT_LIST_SIZE));
  });

  it('caps first at the largest page, so that an oversized first is left to the resolver to name', () => {
    expect(cost('{ servers(first: 10000) { totalCount } }')).toBe(500);
  });

  it('refuses nested pages beyond the limit', () => {
    const q = '{ servers(first: 500) { edges { node { groups { servers(first: 500) { totalCount } } } } } }';
    expect(cost(q)).toBeGreaterThan(MAX_QUERY_COST);
    expect(() => assertQueryCost(schema, parse(q))).toThrow(/too costly/);
    expect(() => assertQueryCost(schema, parse('{ servers(first: 500) { edges { node { id } } } }'))).not.toThrow();
  });
});
