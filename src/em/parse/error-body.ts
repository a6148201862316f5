import { field, isObject, readDocument, text, type EmDocument } from './document.js';
import { excerpt } from './parse-error.js';

/** Bigger error bodies are not EM `Error` documents; reading them is not worth the time. */
const MAX_ERROR_BODY = 64 * 1024;

/** The `Message` of an EM `Error` document, if the tree is one. */
export function errorMessageOf(doc: EmDocument): string | undefined {
  if (doc.format === 'xml' && doc.rootName !== 'Error') return undefined;
  const node = doc.root;
  if (!isObject(node)) return undefined;
  if (doc.format === 'json' && field(node, 'StatusCode') === undefined && field(node, 'Message') === undefined)
    return undefined;
  const message = text(field(node, 'Message')) ?? text(field(node, 'FirstChanceExceptionMessage'));
  return message === undefined || message.trim() === '' ? undefined : message.trim();
}

/**
 * EM's explanation from an error response (`<Error Message="…"/>` or `{"Message": …}`), shortened
 * for a one-line message. `clean` runs before shortening, so whatever it removes (secrets) cannot
 * survive half-cut. Never throws: an unreadable error body just has no explanation.
 */
export function parseErrorMessage(
  body: string,
  contentType: string,
  clean: (text: string) => string = (t) => t,
): string | undefined {
  if (body.length > MAX_ERROR_BODY) return undefined;
  if (/^text\/plain/i.test(contentType.trim())) return body.trim() === '' ? undefined : excerpt(clean(body));
  try {
    const message = errorMessageOf(readDocument(body, contentType));
    return message === undefined ? undefined : excerpt(clean(message));
  } catch {
    return undefined;
  }
}
