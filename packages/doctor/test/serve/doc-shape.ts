import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Objects whose keys are data (label sets, subjects, evidence rows): their keys are not part of the API's shape. */
const FREE = new Set(['labels', 'subject', 'evidence', 'annotations', 'origin', 'server', 'target', 'summary', 'fields']);
/** Keys a response may or may not have (absent while open, or when unknown). */
export const OPTIONAL = new Set(['closedAt', 'endsAt', 'origin']);

/** Every key path of a JSON value, arrays folded into `[]` (so all elements count), free-form objects not entered. */
export function keyPaths(value: unknown, prefix = ''): Set<string> {
  const paths = new Set<string>();
  if (Array.isArray(value)) {
    for (const element of value) for (const p of keyPaths(element, `${prefix}[]`)) paths.add(p);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      paths.add(path);
      if (!FREE.has(key)) for (const p of keyPaths(child, path)) paths.add(p);
    }
  }
  return paths;
}

/** Key paths whose value is null (an ETA not known yet): what the example shows under them may be absent. */
export function nullPaths(value: unknown, prefix = ''): Set<string> {
  const paths = new Set<string>();
  if (Array.isArray(value)) {
    for (const element of value) for (const p of nullPaths(element, `${prefix}[]`)) paths.add(p);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (child === null) paths.add(path);
      else if (!FREE.has(key)) for (const p of nullPaths(child, path)) paths.add(p);
    }
  }
  return paths;
}

/** The JSON examples of docs/http-api.md, by endpoint path (the first JSON block under each "## `GET /api/…" heading). */
export function documentedExamples(): Map<string, unknown> {
  const doc = readFileSync(join(import.meta.dirname, '../../../../docs/http-api.md'), 'utf8');
  const examples = new Map<string, unknown>();
  for (const section of doc.split(/^## /m).slice(1)) {
    const path = /^`GET (\/api\/[a-z-]+)/.exec(section)?.[1];
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    if (path && json) examples.set(path, JSON.parse(json));
  }
  return examples;
}
