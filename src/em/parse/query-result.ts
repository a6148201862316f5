/**
 * The list of a `QueryResult`, shared by the query-service readers and the restore-point reader
 * (which also accepts a QueryResult). Only a list of the expected shape may be empty: an answer
 * that holds no list at all is a parse failure, never "no items".
 */
import { field, isObject, keysHint, list, type EmDocument } from './document.js';
import { errorMessageOf } from './error-body.js';
import { ParseError, quote } from './parse-error.js';

/**
 * EM nests lists inside query results once more: `"RestorePoints": {"RestorePoints": [...]}`; a bare
 * array or null (EM 12 and 13 write explicit nulls for empty lists) is accepted too.
 */
export function unwrapList(value: unknown, name: string): unknown[] {
  if (isObject(value)) {
    const inner = field(value, name);
    if (inner === undefined)
      throw new ParseError(`JSON ${name} is an object without a ${name} list (keys: ${keysHint(value)})`);
    if (inner !== null && !Array.isArray(inner))
      throw new ParseError(`JSON ${name}.${name} is not a list (found ${jsonKind(inner)})`);
    return list(inner);
  }
  if (value === null || Array.isArray(value)) return list(value);
  throw new ParseError(`JSON ${name} is not a list (found ${jsonKind(value)})`);
}

/** `null`, `array`, `object`, `string`…: what a JSON value is, for messages. */
export function jsonKind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

export function refuseErrorDocument(doc: EmDocument): void {
  const message = errorMessageOf(doc);
  if (message !== undefined) throw new ParseError(`EM sent an Error document: ${quote(message)}`);
}

/**
 * The items of a QueryResult: `Entities/<list>/<item>` or `Refs/Ref`. Entities without the expected
 * list is an error rather than an empty page: it would mean EM answered for another type. A result
 * with neither Entities nor Refs is an error too; in JSON either key present with `null` is an
 * empty result, as EM 12 and 13 write it.
 */
export function queryResultItems(doc: EmDocument, listName: string, itemName: string): unknown[] {
  const root = doc.root;
  if (doc.format === 'xml') {
    if (doc.rootName !== 'QueryResult') {
      refuseErrorDocument(doc);
      throw new ParseError(`unexpected XML root <${quote(doc.rootName ?? '', 40)}> (expected QueryResult)`);
    }
    const entities = field(root, 'Entities');
    if (entities !== undefined) {
      const inner = field(entities, listName);
      if (inner === undefined) throw new ParseError(`QueryResult Entities without ${listName}`);
      return list(field(inner, itemName));
    }
    const refs = field(root, 'Refs');
    if (refs !== undefined) return list(field(refs, 'Ref'));
    throw new ParseError('QueryResult with neither Entities nor Refs');
  }
  if (!isObject(root)) throw new ParseError(`unexpected JSON ${jsonKind(root)} (expected a QueryResult)`);
  refuseErrorDocument(doc);
  const entities = field(root, 'Entities');
  const refs = field(root, 'Refs');
  if (isObject(entities)) {
    const inner = field(entities, listName);
    if (inner === undefined)
      throw new ParseError(`QueryResult Entities without ${listName} (keys: ${keysHint(entities)})`);
    return unwrapList(inner, listName);
  }
  if (entities !== undefined && entities !== null)
    throw new ParseError(`QueryResult Entities is not an object (found ${jsonKind(entities)})`);
  if (refs !== undefined && refs !== null) return unwrapList(refs, 'Refs');
  if (entities === undefined && refs === undefined)
    throw new ParseError(`JSON without Entities or Refs (keys: ${keysHint(root)})`);
  // Present and null: an empty result.
  return [];
}
