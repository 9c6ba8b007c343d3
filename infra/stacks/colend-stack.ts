import { CfnOutput, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ledgerCheckDefinition } from '../../workflows/ledger-check/definition.ts';
import type { StageConfig } from '../config.ts';
import { ColendFunction } from '../constructs/colend-function.ts';
import type { TableAccess } from '../constructs/colend-function.ts';
import { ColendTable } from '../constructs/colend-table.ts';
import { ColendWorkflow } from '../constructs/colend-workflow.ts';
import { Identity, scopeName } from './identity.ts';
import { API_ROUTES } from './routes.ts';
import type { ApiFunctionName } from './routes.ts';

/** Environment variables every function receives (docs/architecture.md). */
export const ENV = {
  ledgerTable: 'LEDGER_TABLE',
  stateTable: 'STATE_TABLE',
  ledgerCheckStateMachineArn: 'LEDGER_CHECK_STATE_MACHINE_ARN',
} as const;

export type FunctionName = ApiFunctionName | 'ledger-check-shard' | 'ledger-check-report';

interface FunctionSpec {
  /** Construct id; never renamed once deployed. */
  readonly id: string;
  readonly description: string;
  readonly stateTable?: TableAccess;
  readonly ledgerTable?: TableAccess;
  readonly startsLedgerCheck?: boolean;
  readonly timeout?: Duration;
}

/** Each function, its construct id and the least access it needs. */
export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSpec>> = {
  lenders: { id: 'LendersFunction', description: 'Lenders API', stateTable: 'readWrite' },
  programs: { id: 'ProgramsFunction', description: 'Co-lending programs API', stateTable: 'readWrite' },
  loans: { id: 'LoansFunction', description: 'Loans API', stateTable: 'readWrite', ledgerTable: 'readWrite' },
  positions: { id: 'PositionsFunction', description: "A lender's positions", stateTable: 'read', ledgerTable: 'read' },
  'ledger-checks': {
    id: 'LedgerChecksFunction',
    description: 'Starts ledger checks and reads their reports',
    stateTable: 'readWrite',
    startsLedgerCheck: true,
  },
  openapi: { id: 'OpenApiFunction', description: 'The OpenAPI document of the API' },
  'ledger-check-shard': {
    id: 'LedgerCheckShardFunction',
    description: 'Verifies the ledger of one check shard',
    stateTable: 'read',
    ledgerTable: 'read',
    timeout: Duration.minutes(5),
  },
  'ledger-check-report': {
    id: 'LedgerCheckReportFunction',
    description: 'Records the ledger-check report of a business date',
    stateTable: 'readWrite',
    timeout: Duration.minutes(1),
  },
};

export interface ColendStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The whole system in one stack, so the local stack reads one template (docs/adr/0001). */
export class ColendStack extends Stack {
  readonly config: StageConfig;
  readonly ledgerTable: ColendTable;
  readonly stateTable: ColendTable;
  readonly functions: ReadonlyMap<FunctionName, ColendFunction>;
  readonly ledgerCheck: ColendWorkflow;
  readonly identity: Identity;
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly dailyLedgerCheck: Schedule;

  constructor(scope: Construct, id: string, props: ColendStackProps) {
    super(scope, id, {
      description: 'Colend: co-lending settlement (API, workflows, ledger)',
      ...props,
    });
    this.config = props.config;

    this.ledgerTable = new ColendTable(this, 'LedgerTable');
    this.stateTable = new ColendTable(this, 'StateTable');

    const functions = new Map<FunctionName, ColendFunction>();
    const addFunction = (name: FunctionName, extraEnvironment: Record<string, string> = {}): ColendFunction => {
      const fn = this.createFunction(name, FUNCTIONS[name], extraEnvironment);
      functions.set(name, fn);
      return fn;
    };

    const verifyShard = addFunction('ledger-check-shard');
    const recordReport = addFunction('ledger-check-report');
    this.ledgerCheck = new ColendWorkflow(this, 'LedgerCheckStateMachine', {
      description: 'Daily ledger check: verify every check shard, then record the report of the business date',
      definition: ledgerCheckDefinition(new Construct(this, 'LedgerCheck'), {
        verifyShard,
        recordReport,
        shardCount: props.config.ledgerCheck.shardCount,
        maxConcurrency: props.config.ledgerCheck.maxConcurrency,
      }),
      invokedFunctions: [verifyShard, recordReport],
      logRetention: props.config.logRetention,
    });

    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      if (functions.has(name)) continue;
      const spec = FUNCTIONS[name];
      const fn = addFunction(
        name,
        spec.startsLedgerCheck === true ? { [ENV.ledgerCheckStateMachineArn]: this.ledgerCheck.stateMachineArn } : {},
      );
      if (spec.startsLedgerCheck === true) {
        this.ledgerCheck.grantStartExecution(fn);
      }
    }
    this.functions = functions;

    this.identity = new Identity(this, 'Identity', {
      stageName: props.config.stageName,
      clients: props.config.clients,
      logRetention: props.config.logRetention,
    });
    [this.api, this.apiStage] = this.createApi();
    this.dailyLedgerCheck = this.createDailyLedgerCheck();

    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url });
    new CfnOutput(this, 'TokenEndpoint', { value: this.identity.tokenEndpoint });
    new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'LedgerCheckStateMachineArn', { value: this.ledgerCheck.stateMachineArn });
  }

  /** The function of a folder; throws when the stack has none. */
  functionOf(name: FunctionName): ColendFunction {
    const fn = this.functions.get(name);
    if (fn === undefined) throw new Error(`No function ${name}`);
    return fn;
  }

  private createFunction(name: FunctionName, spec: FunctionSpec, extraEnvironment: Record<string, string>): ColendFunction {
    const fn = new ColendFunction(this, spec.id, {
      name,
      description: spec.description,
      logRetention: this.config.logRetention,
      timeout: spec.timeout,
      environment: {
        [ENV.ledgerTable]: this.ledgerTable.tableName,
        [ENV.stateTable]: this.stateTable.tableName,
        ...extraEnvironment,
      },
    });
    if (spec.stateTable !== undefined) fn.grantTable(this.stateTable, spec.stateTable);
    if (spec.ledgerTable !== undefined) fn.grantTable(this.ledgerTable, spec.ledgerTable);
    return fn;
  }

  private createApi(): [HttpApi, HttpStage] {
    const api = new HttpApi(this, 'HttpApi', {
      description: 'Colend API (/v1)',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', { retention: this.config.logRetention });
    const stage = api.addStage('DefaultStage', {
      autoDeploy: true,
      throttle: this.config.api.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            clientId: '$context.authorizer.claims.client_id',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });

    const authorizer = new HttpJwtAuthorizer('ClientCredentialsAuthorizer', this.identity.issuerUrl, {
      jwtAudience: [...this.identity.clients.values()].map((client) => client.userPoolClientId),
    });
    const integrations = new Map<ApiFunctionName, HttpLambdaIntegration>();
    for (const route of API_ROUTES) {
      let integration = integrations.get(route.function);
      if (integration === undefined) {
        integration = new HttpLambdaIntegration(`${FUNCTIONS[route.function].id}Integration`, this.functionOf(route.function));
        integrations.set(route.function, integration);
      }
      const [httpRoute] = api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        ...(route.scopes === undefined
          ? {}
          : { authorizer, authorizationScopes: route.scopes.map((name) => scopeName(name)) }),
      });
      if (route.scopes === undefined && httpRoute !== undefined) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is the public description of the API; it holds no data and needs no token.`,
        });
      }
    }
    return [api, stage];
  }

  private createDailyLedgerCheck(): Schedule {
    const settings = this.config.ledgerCheck;
    return new Schedule(this, 'DailyLedgerCheck', {
      description: 'Starts the ledger check of the business date that has just closed',
      schedule: ScheduleExpression.expression(settings.scheduleExpression, TimeZone.of(settings.timeZone)),
      target: new StepFunctionsStartExecution(this.ledgerCheck, {
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });
  }
}
