/**
 * JSON access-log lines. Most lines are read straight from their text by the shape scanner
 * (`access-json-scan.ts`); whatever it does not handle goes through `JSON.parse` and the key walk
 * below, which defines what a JSON line means. Both give the same record for every line.
 */
import type { AccessField } from './access-fields.js';
import { scanJsonLine } from './access-json-scan.js';
import {
  type AccessRecord,
  fieldBit,
  fieldForAnyKey,
  keyPath,
  MAX_JSON_DEPTH,
  RecordBuilder,
} from './access-record.js';

/** A JSON access-log line's record, or `undefined` when it is not a JSON object with a known field. */
export function parseJsonLine(line: string): AccessRecord | undefined {
  const scanned = scanJsonLine(line);
  return scanned ? scanned.build() : parseJsonLineByJsonParse(line);
}

/**
 * Key path → field, as a tree that follows the line's nesting: each JSON key (already internalised by
 * `JSON.parse`) is looked up in its parent's node, so a repeated format costs one Map hit per key and
 * no string building. `field` is `null` for a key path the classifier does not use. Bounded: the whole
 * tree is dropped when it holds too many nodes, so arbitrary keys cannot grow it without limit.
 */
interface KeyNode {
  readonly key: string;
  /** The key path from the line's root, nested keys joined by `.`. */
  readonly path: string;
  readonly field: AccessField | null;
  readonly bit: number;
  readonly children: Map<string, KeyNode>;
  /**
   * The child met at each position last time: lines of one format list their keys in one order, and
   * comparing two internalised keys is cheaper than hashing one into `children`.
   */
  readonly byPosition: (KeyNode | undefined)[];
}
const KEY_TREE_LIMIT = 4096;
const newKeyTree = (): KeyNode => ({
  key: '',
  path: '',
  field: null,
  bit: 0,
  children: new Map(),
  byPosition: [],
});
let keyTree = newKeyTree();
let keyTreeSize = 0;

function childNode(parent: KeyNode, key: string): KeyNode {
  const cached = parent.children.get(key);
  if (cached) return cached;
  if (keyTreeSize >= KEY_TREE_LIMIT) {
    keyTree = newKeyTree();
    keyTreeSize = 0;
  }
  const path = keyPath(parent.path, key);
  const field = fieldForAnyKey(path) ?? null;
  const node: KeyNode = {
    key,
    path,
    field,
    bit: field === null ? 0 : fieldBit(field),
    children: new Map(),
    byPosition: [],
  };
  parent.children.set(key, node);
  keyTreeSize += 1;
  return node;
}

/** Collects the line's fields; false when the line nests deeper than `MAX_JSON_DEPTH`. */
function visit(
  builder: RecordBuilder,
  object: Record<string, unknown>,
  tree: KeyNode,
  depth: number,
): boolean {
  if (depth > MAX_JSON_DEPTH) return false;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = object[key];
    let node = tree.byPosition[i];
    if (node === undefined || node.key !== key) {
      node = childNode(tree, key);
      tree.byPosition[i] = node;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (!visit(builder, value as Record<string, unknown>, node, depth + 1)) return false;
    } else if (node.field) {
      builder.setField(node.field, node.bit, value);
    }
  }
  return true;
}

/**
 * The reference reading of a JSON line: `JSON.parse`, then every key path looked up. The scanner
 * must agree with it on every line it accepts (test/property/access-json-scan.test.ts).
 */
export function parseJsonLineByJsonParse(line: string): AccessRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const builder = new RecordBuilder('json');
  return visit(builder, parsed as Record<string, unknown>, keyTree, 1) ? builder.build() : undefined;
}
