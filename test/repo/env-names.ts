/**
 * Finds the functions' environment variable names written as text outside their one definition
 * (lambda/core/monitor-contract.ts): a string or template literal that holds one, or a property named
 * after one (`{ TOPIC_ARN: … }`, `env.TOPIC_ARN`). Comments and regular expressions are not writers,
 * so they may name a variable; a binding that merely shares the name (`const WATCHED_STAGES = […]`) too.
 */
import ts from 'typescript';

export interface EnvNameLiteral {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly text: string;
}

const LITERAL_KINDS = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
]);

function namedProperty(node: ts.Node): boolean {
  const parent = node.parent;
  if (!parent || !ts.isIdentifier(node)) return false;
  return (
    (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
    ((ts.isPropertyAssignment(parent) || ts.isPropertySignature(parent)) && parent.name === node) ||
    ts.isShorthandPropertyAssignment(parent)
  );
}

/** The literal uses of `names` in one TypeScript file's text. */
export function findEnvNameLiterals(file: string, text: string, names: readonly string[]): EnvNameLiteral[] {
  const patterns = names.map((name) => ({ name, pattern: new RegExp(`(?<![\\w$])${name}(?![\\w$])`) }));
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: EnvNameLiteral[] = [];
  const visit = (node: ts.Node): void => {
    const literal = LITERAL_KINDS.has(node.kind) ? (node as ts.LiteralLikeNode).text : undefined;
    const property = namedProperty(node) ? (node as ts.Identifier).text : undefined;
    for (const { name, pattern } of patterns) {
      if ((literal !== undefined && pattern.test(literal)) || property === name) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push({ file, line: line + 1, name, text: text.split('\n')[line]?.trim() ?? '' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
