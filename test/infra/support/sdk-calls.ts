import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { REPOSITORY_ROOT } from '../../../infra/constructs/repository.ts';

/**
 * The AWS SDK commands a function can send, found by reading its code: every `new …Command(…)`
 * of an `@aws-sdk/*` package reachable from its handler module. Reachable means: the top-level
 * declarations of ours that the handler names, followed through imports and re-exports; for a
 * class that is reached, its constructor and fields, and each of its methods whose name is called
 * anywhere in what is reachable. A presigned URL counts as the command it signs. The stack's
 * grants are compared with these, so a call added to a function without its permission fails the
 * tests before it fails in AWS.
 */
export function callsByFunction(folders: readonly string[]): Map<string, FunctionCalls> {
  const modules = new ModuleCache();
  return new Map(folders.map((folder) => [folder, new Reachability(modules).callsFrom(join(REPOSITORY_ROOT, 'functions', folder, 'handler.ts'))]));
}

export interface FunctionCalls {
  /** SDK commands without the `Command` suffix: `GetObject`, `SendTaskSuccess`, `TransactWrite`. */
  readonly commands: ReadonlySet<string>;
}

type Binding = { readonly kind: 'node'; readonly file: string; readonly node: ts.Node } | { readonly kind: 'sdk'; readonly name: string };

interface ModuleInfo {
  readonly source: ts.SourceFile;
  readonly declarations: ReadonlyMap<string, readonly ts.Node[]>;
  readonly imports: ReadonlyMap<string, { readonly specifier: string; readonly name: string }>;
  /** `export { a as b } from './x'`: b → (./x, a); `export * from './x'`: '*' entries. */
  readonly reExports: ReadonlyMap<string, { readonly specifier: string; readonly name: string }>;
  readonly starExports: readonly string[];
}

class ModuleCache {
  private readonly modules = new Map<string, ModuleInfo>();

  get(file: string): ModuleInfo {
    let info = this.modules.get(file);
    if (info === undefined) {
      info = parseModule(file);
      this.modules.set(file, info);
    }
    return info;
  }

  /** What `name` means at the top of `file`: a declaration of ours, an SDK export, or nothing known. */
  resolveName(file: string, name: string, depth = 0): Binding[] {
    if (depth > 20) return [];
    const info = this.get(file);
    const local = info.declarations.get(name);
    if (local !== undefined) return local.map((node) => ({ kind: 'node', file, node }));
    const imported = info.imports.get(name) ?? info.reExports.get(name);
    if (imported !== undefined) return this.resolveImport(file, imported.specifier, imported.name, depth);
    return [];
  }

  private resolveImport(file: string, specifier: string, name: string, depth: number): Binding[] {
    if (specifier.startsWith('@aws-sdk/')) return [{ kind: 'sdk', name }];
    if (!specifier.startsWith('.')) return [];
    const target = resolve(dirname(file), specifier);
    const found = this.resolveName(target, name, depth + 1);
    if (found.length > 0) return found;
    return this.get(target).starExports.flatMap((star) => this.resolveImport(target, star, name, depth + 1));
  }
}

function parseModule(file: string): ModuleInfo {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const declarations = new Map<string, ts.Node[]>();
  const imports = new Map<string, { specifier: string; name: string }>();
  const reExports = new Map<string, { specifier: string; name: string }>();
  const starExports: string[] = [];
  const declare = (name: string, node: ts.Node): void => {
    declarations.set(name, [...(declarations.get(name) ?? []), node]);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const specifier = statement.moduleSpecifier.text;
      const bindings = statement.importClause?.namedBindings;
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) imports.set(element.name.text, { specifier, name: (element.propertyName ?? element.name).text });
      }
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier)) {
      const specifier = statement.moduleSpecifier.text;
      if (statement.exportClause === undefined) starExports.push(specifier);
      else if (ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) reExports.set(element.name.text, { specifier, name: (element.propertyName ?? element.name).text });
      }
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name !== undefined) {
      declare(statement.name.text, statement);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) declare(declaration.name.text, declaration);
      }
    }
  }
  return { source, declarations, imports, reExports, starExports };
}

const memberName = (member: ts.ClassElement): string | undefined => (member.name !== undefined && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name)) ? member.name.text : undefined);

class Reachability {
  private readonly seen = new Set<ts.Node>();
  private readonly work: { file: string; node: ts.Node }[] = [];
  private readonly calledNames = new Set<string>();
  private readonly classes: { file: string; node: ts.ClassDeclaration }[] = [];
  private readonly commands = new Set<string>();

  constructor(private readonly modules: ModuleCache) {}

  callsFrom(handler: string): FunctionCalls {
    for (const statement of this.modules.get(handler).source.statements) this.push(handler, statement);
    for (let item = this.work.pop(); item !== undefined; item = this.work.pop()) this.walk(item.file, item.node);
    return { commands: this.commands };
  }

  private push(file: string, node: ts.Node): void {
    if (this.seen.has(node)) return;
    this.seen.add(node);
    if (ts.isClassDeclaration(node)) {
      this.classes.push({ file, node });
      for (const member of node.members) {
        const name = memberName(member);
        if (ts.isMethodDeclaration(member) || ts.isGetAccessor(member)) {
          if (name !== undefined && this.calledNames.has(name)) this.push(file, member);
        } else {
          this.push(file, member);
        }
      }
      if (node.heritageClauses !== undefined) for (const clause of node.heritageClauses) this.push(file, clause);
      return;
    }
    this.work.push({ file, node });
  }

  private called(name: string): void {
    if (this.calledNames.has(name)) return;
    this.calledNames.add(name);
    for (const { file, node } of this.classes) {
      for (const member of node.members) if ((ts.isMethodDeclaration(member) || ts.isGetAccessor(member)) && memberName(member) === name) this.push(file, member);
    }
  }

  private walk(file: string, node: ts.Node): void {
    const visit = (child: ts.Node): void => {
      if (ts.isImportDeclaration(child) || ts.isTypeNode(child) || ts.isInterfaceDeclaration(child) || ts.isTypeAliasDeclaration(child)) return;
      if (ts.isNewExpression(child) && ts.isIdentifier(child.expression)) {
        for (const binding of this.modules.resolveName(file, child.expression.text)) {
          if (binding.kind === 'sdk' && binding.name.endsWith('Command')) this.commands.add(binding.name.replace(/Command$/, ''));
        }
      }
      if (ts.isPropertyAccessExpression(child) || ts.isPropertyAccessChain(child)) {
        this.called(child.name.text);
        visit(child.expression);
        return;
      }
      if (ts.isIdentifier(child)) {
        for (const binding of this.modules.resolveName(file, child.text)) if (binding.kind === 'node') this.push(binding.file, binding.node);
      }
      ts.forEachChild(child, visit);
    };
    visit(node);
  }
}
