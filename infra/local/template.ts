/**
 * The synthesized CloudFormation template, read with local values.
 *
 * The local stack never keeps a second definition of the infrastructure: it resolves the
 * intrinsic functions of the one template with the names the local services use.
 * - a table is named by its logical id;
 * - a function is `arn:aws:lambda:us-east-1:000000000000:function:<LogicalId>`;
 * - a state machine is `arn:aws:states:us-east-1:000000000000:stateMachine:<LogicalId>`;
 * - an event bus keeps the `Name` of the template (which its `Ref` gives, as in AWS);
 * - any other resource gets a stable placeholder built from its logical id.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_PARTITION = 'aws';
export const LOCAL_STACK_NAME = 'Colend';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  [key: string]: unknown;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

export const TABLE_TYPES = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'] as const;

export function functionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
}

export function stateMachineArn(logicalId: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
}

export function eventBusArnOf(name: string): string {
  return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`;
}

export function tableArn(logicalId: string): string {
  return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${logicalId}`;
}

/** The function name inside a Lambda ARN (`...:function:<name>[:qualifier]`), or a plain name. */
export function functionNameFromArn(nameOrArn: string): string | undefined {
  const match = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:/]+)/.exec(nameOrArn);
  if (match) return match[1];
  const partial = /^(?:\d{12}:)?function:([^:/]+)/.exec(nameOrArn);
  if (partial) return partial[1];
  if (/^[A-Za-z0-9_-]+(?::[$\w-]+)?$/.test(nameOrArn)) return nameOrArn.split(':')[0];
  return undefined;
}

/** The state machine name (its logical id locally) inside a state machine ARN. */
export function stateMachineIdFromArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:states:[^:]*:[^:]*:stateMachine:([^:]+)$/.exec(arn)?.[1];
}

const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

const PSEUDO_PARAMETERS: Record<string, unknown> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::Partition': LOCAL_PARTITION,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': LOCAL_STACK_NAME,
  'AWS::StackId': `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${LOCAL_STACK_NAME}/local`,
  'AWS::NotificationARNs': [],
};

export class TemplateError extends Error {
  override name = 'TemplateError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves CloudFormation intrinsic functions with the values of the local stack. */
export class TemplateResolver {
  private readonly resources: Record<string, CfnResource>;
  private readonly conditionCache = new Map<string, boolean>();

  constructor(readonly template: CfnTemplate) {
    this.resources = template.Resources ?? {};
  }

  /** Resources of the given types whose Condition holds, as [logicalId, resource] pairs. */
  resourcesOfType(...types: readonly string[]): Array<[string, CfnResource]> {
    return Object.entries(this.resources).filter(
      ([, resource]) => types.includes(resource.Type) && this.isIncluded(resource),
    );
  }

  resource(logicalId: string): CfnResource | undefined {
    return this.resources[logicalId];
  }

  /** The resource's Properties with every intrinsic function resolved. */
  properties(logicalId: string): Record<string, unknown> {
    const resource = this.resources[logicalId];
    if (!resource) throw new TemplateError(`No resource ${logicalId} in the template`);
    const resolved = this.resolve(resource.Properties ?? {});
    return isRecord(resolved) ? resolved : {};
  }

  isIncluded(resource: CfnResource): boolean {
    return resource.Condition === undefined || this.condition(resource.Condition);
  }

  resolve(value: unknown): unknown {
    const resolved = this.resolveValue(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  private resolveValue(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.resolveValue(item)).filter((item) => item !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(only, value[only]);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.resolveValue(value[key]);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, args: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(this.resolveValue(args)));
      case 'Fn::GetAtt':
        return this.getAttFromArgs(args);
      case 'Fn::Join':
        return this.join(args);
      case 'Fn::Sub':
        return this.sub(args);
      case 'Fn::Select':
        return this.select(args);
      case 'Fn::Split': {
        const [delimiter, source] = this.listArgs(name, args, 2);
        return String(this.resolveValue(source)).split(String(delimiter));
      }
      case 'Fn::If': {
        // Only the chosen branch is resolved, and AWS::NoValue must not shift the arguments.
        if (!Array.isArray(args) || args.length !== 3) throw new TemplateError('Fn::If expects [condition, a, b]');
        const [conditionName, whenTrue, whenFalse] = args as [unknown, unknown, unknown];
        return this.condition(String(conditionName)) ? this.resolveValue(whenTrue) : this.resolveValue(whenFalse);
      }
      case 'Fn::Equals':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Fn::Not':
        return this.evaluateCondition({ [name]: args });
      case 'Fn::FindInMap': {
        const [mapName, topKey, secondKey] = this.listArgs(name, args, 3).map((arg) => String(this.resolveValue(arg)));
        const found = this.template.Mappings?.[mapName ?? '']?.[topKey ?? '']?.[secondKey ?? ''];
        if (found === undefined) throw new TemplateError(`Fn::FindInMap: no ${mapName}.${topKey}.${secondKey}`);
        return found;
      }
      case 'Fn::Base64':
        return Buffer.from(String(this.resolveValue(args)), 'utf8').toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((suffix) => `${LOCAL_REGION}${suffix}`);
      case 'Fn::ImportValue':
        return `import:${String(this.resolveValue(args))}`;
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolveValue(args));
      default:
        throw new TemplateError(`Unsupported intrinsic function ${name}`);
    }
  }

  private listArgs(name: string, args: unknown, min: number): unknown[] {
    const resolved = this.resolveValue(args);
    if (!Array.isArray(resolved) || resolved.length < min) {
      throw new TemplateError(`${name} expects a list of at least ${min} arguments`);
    }
    return resolved;
  }

  ref(name: string): unknown {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter) return parameter.Default ?? `local-parameter-${name}`;
    const resource = this.resources[name];
    if (!resource) throw new TemplateError(`Ref to unknown resource or parameter ${name}`);
    switch (resource.Type) {
      case 'AWS::StepFunctions::StateMachine':
        return stateMachineArn(name);
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${LOCAL_ACCOUNT}:policy/${name}`;
      case 'AWS::SQS::Queue':
        return `http://localhost/${LOCAL_ACCOUNT}/${name}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
      case 'AWS::Events::EventBus':
        return this.eventBusName(name, resource);
      default:
        // Tables, functions, roles, buckets, API resources: their local name is the logical id.
        return name;
    }
  }

  private getAttFromArgs(args: unknown): unknown {
    let logicalId: string;
    let attribute: string;
    if (typeof args === 'string') {
      const dot = args.indexOf('.');
      logicalId = args.slice(0, dot);
      attribute = args.slice(dot + 1);
    } else {
      const [id, attr] = this.listArgs('Fn::GetAtt', args, 2);
      logicalId = String(id);
      attribute = String(attr);
    }
    return this.getAtt(logicalId, attribute);
  }

  getAtt(logicalId: string, attribute: string): string {
    const resource = this.resources[logicalId];
    if (!resource) throw new TemplateError(`Fn::GetAtt on unknown resource ${logicalId}`);
    switch (`${resource.Type}.${attribute}`) {
      case 'AWS::Lambda::Function.Arn':
        return functionArn(logicalId);
      case 'AWS::StepFunctions::StateMachine.Arn':
        return stateMachineArn(logicalId);
      case 'AWS::StepFunctions::StateMachine.Name':
        return logicalId;
      case 'AWS::DynamoDB::Table.Arn':
      case 'AWS::DynamoDB::GlobalTable.Arn':
        return tableArn(logicalId);
      case 'AWS::DynamoDB::Table.StreamArn':
      case 'AWS::DynamoDB::GlobalTable.StreamArn':
        return `${tableArn(logicalId)}/stream/local`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/${logicalId}`;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `http://${logicalId.toLowerCase()}.execute-api.localhost`;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return logicalId;
      case 'AWS::Cognito::UserPool.ProviderURL':
        return `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${logicalId}`;
      case 'AWS::Cognito::UserPool.ProviderName':
        return `cognito-idp.${LOCAL_REGION}.amazonaws.com/${logicalId}`;
      case 'AWS::Events::EventBus.Name':
        return this.eventBusName(logicalId, resource);
      case 'AWS::Events::EventBus.Arn':
        return eventBusArnOf(this.eventBusName(logicalId, resource));
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${logicalId.toLowerCase()}`;
      default: {
        if (attribute === 'Arn') {
          const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'local';
          return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
        }
        return `local-${logicalId}-${attribute}`;
      }
    }
  }

  /** An event bus is named in the template (CloudFormation requires it); locally it keeps that name. */
  private eventBusName(logicalId: string, resource: CfnResource): string {
    const name = this.resolveValue(resource.Properties?.Name);
    return typeof name === 'string' && name !== '' ? name : logicalId;
  }

  private join(args: unknown): string {
    if (!Array.isArray(args) || args.length !== 2) throw new TemplateError('Fn::Join expects [delimiter, list]');
    const delimiter = String(this.resolveValue(args[0]));
    const list = this.resolveValue(args[1]);
    if (!Array.isArray(list)) throw new TemplateError('Fn::Join expects a list');
    return list.map((item) => this.scalar(item, 'Fn::Join')).join(delimiter);
  }

  private select(args: unknown): unknown {
    if (!Array.isArray(args) || args.length !== 2) throw new TemplateError('Fn::Select expects [index, list]');
    const index = Number(this.resolveValue(args[0]));
    const list = this.resolveValue(args[1]);
    if (!Array.isArray(list) || !Number.isInteger(index) || index < 0 || index >= list.length) {
      throw new TemplateError(`Fn::Select index ${index} out of range`);
    }
    return list[index];
  }

  private sub(args: unknown): string {
    let text: unknown;
    let variables: Record<string, unknown> = {};
    if (Array.isArray(args)) {
      text = args[0];
      const vars = this.resolveValue(args[1]);
      if (isRecord(vars)) variables = vars;
    } else {
      text = args;
    }
    if (typeof text !== 'string') throw new TemplateError('Fn::Sub expects a string');
    return text.replace(/\$\{([^}]*)\}/g, (_match, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in variables) return this.scalar(variables[name], 'Fn::Sub');
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return this.getAtt(name.slice(0, dot), name.slice(dot + 1));
      return this.scalar(this.ref(name), 'Fn::Sub');
    });
  }

  private scalar(value: unknown, where: string): string {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new TemplateError(`${where} expects scalar values, got ${JSON.stringify(value)}`);
  }

  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new TemplateError(`Unknown condition ${name}`);
    const result = this.evaluateCondition(definition);
    this.conditionCache.set(name, result);
    return result;
  }

  private evaluateCondition(expression: unknown): boolean {
    if (typeof expression === 'boolean') return expression;
    if (!isRecord(expression)) throw new TemplateError(`Invalid condition ${JSON.stringify(expression)}`);
    if ('Condition' in expression) return this.condition(String(expression.Condition));
    if ('Fn::Equals' in expression) {
      const args = expression['Fn::Equals'];
      if (!Array.isArray(args) || args.length !== 2) throw new TemplateError('Fn::Equals expects two values');
      return JSON.stringify(this.resolve(args[0])) === JSON.stringify(this.resolve(args[1]));
    }
    const list = (key: string): unknown[] => {
      const args = expression[key];
      if (!Array.isArray(args)) throw new TemplateError(`${key} expects a list`);
      return args;
    };
    if ('Fn::And' in expression) return list('Fn::And').every((item) => this.evaluateCondition(item));
    if ('Fn::Or' in expression) return list('Fn::Or').some((item) => this.evaluateCondition(item));
    if ('Fn::Not' in expression) return !this.evaluateCondition(list('Fn::Not')[0]);
    throw new TemplateError(`Invalid condition ${JSON.stringify(expression)}`);
  }
}

/** A string-keyed record, or undefined: for reading resolved properties safely. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
