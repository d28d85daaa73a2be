/**
 * Every type a user meets in the public API (a parameter, a return type, a property, a type an
 * exported type is built from) must be importable from the entry that exposes it, or users cannot
 * name it in their own code and the generated docs link to nothing.
 */
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import * as path from "node:path";
import ts from "typescript";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const srcDir = path.join(root, "src") + path.sep;

const hidden = (node: ts.Node): boolean => {
  // A private parameter property is still a constructor parameter users pass.
  if (ts.isParameter(node)) return false;
  const mods = ts.canHaveModifiers(node) ? (ts.getModifiers(node) ?? []) : [];
  if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) return true;
  const name = (node as { name?: ts.Node }).name;
  return name !== undefined && ts.isPrivateIdentifier(name);
};

/** Names of types declared in src/ that the public API of `entry` mentions but `entry` does not export. */
function unexportedReferences(program: ts.Program, entry: string): string[] {
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry);
  if (file === undefined) throw new Error(`no source file ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`);
  const exported = new Set<ts.Symbol>();
  for (const sym of checker.getExportsOfModule(moduleSymbol)) {
    exported.add(sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym);
  }
  const missing = new Set<string>();
  const visit = (node: ts.Node): void => {
    // Implementation details: bodies, initializers and non-public members are not API.
    if (ts.isBlock(node) || hidden(node)) return;
    if (ts.isPropertyDeclaration(node) || ts.isVariableDeclaration(node) || ts.isParameter(node)) {
      if (node.type) visit(node.type);
      return;
    }
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const nameNode = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      let sym = checker.getSymbolAtLocation(nameNode);
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      const decl = sym?.declarations?.[0];
      if (sym && decl && !(sym.flags & ts.SymbolFlags.TypeParameter) && decl.getSourceFile().fileName.startsWith(srcDir.split(path.sep).join("/"))) {
        if (!exported.has(sym) && !ts.isModuleDeclaration(decl.parent?.parent ?? decl)) {
          const where = path.relative(root, decl.getSourceFile().fileName);
          missing.add(`${sym.getName()} (${where})`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const sym of exported) {
    for (const decl of sym.declarations ?? []) {
      if (!decl.getSourceFile().fileName.startsWith(srcDir.split(path.sep).join("/"))) continue;
      // Walk the declaration's own signature and members, not the function body.
      if (ts.isFunctionDeclaration(decl)) {
        decl.typeParameters?.forEach(visit);
        decl.parameters.forEach(visit);
        if (decl.type) visit(decl.type);
      } else if (ts.isVariableDeclaration(decl)) {
        if (decl.type) visit(decl.type);
      } else {
        visit(decl);
      }
    }
  }
  return [...missing].sort();
}

describe("public type exports", () => {
  const program = ts.createProgram([path.join(root, "src/index.ts"), path.join(root, "src/server/index.ts")], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noEmit: true,
    skipLibCheck: true,
  });

  it("lets a client user import every type the client API mentions", () => {
    expect(unexportedReferences(program, path.join(root, "src/index.ts"))).toEqual([]);
  });

  it("lets a server user import every type the server API mentions", () => {
    expect(unexportedReferences(program, path.join(root, "src/server/index.ts"))).toEqual([]);
  });
});
