import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Choice, Condition, DefinitionBody, Fail, IntegrationPattern, JsonPath, Map as MapState, Parallel, Pass, StateMachine, StateMachineType, Succeed, TaskInput } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '../../../../infra/local/issuer.ts';
import type { CfnTemplate } from '../../../../infra/local/template.ts';

/**
 * A small stack with one of each thing the local stack serves: a table with an index, stream
 * and TTL; an event bus; functions with `colend:entry`; an HTTP API with JWT-authorized and open routes;
 * state machines with a Map, a Parallel, a task token and an Express workflow; a schedule.
 */

export const FIXTURES = 'test/unit/infra/local/fixtures';

function fn(stack: Stack, id: string, file: string, environment: Record<string, string> = {}): NodejsFunction {
  const entry = `${FIXTURES}/${file}`;
  const created = new NodejsFunction(stack, id, {
    entry: join(REPOSITORY_ROOT, entry),
    handler: 'handler',
    runtime: Runtime.NODEJS_22_X,
    timeout: Duration.seconds(7),
    memorySize: 256,
    projectRoot: REPOSITORY_ROOT,
    depsLockFilePath: join(REPOSITORY_ROOT, 'package-lock.json'),
    environment: { NODE_OPTIONS: '--enable-source-maps', ...environment },
  });
  (created.node.defaultChild as CfnFunction).addMetadata('colend:entry', entry);
  return created;
}

export function synthesizeFixtureTemplate(): CfnTemplate {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Fixture');

  const table = new Table(stack, 'Items', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    stream: StreamViewType.NEW_AND_OLD_IMAGES,
    timeToLiveAttribute: 'expiresAt',
  });
  table.addGlobalSecondaryIndex({
    indexName: 'gsi1',
    partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
    sortKey: { name: 'gsi1sk', type: AttributeType.NUMBER },
  });
  table.addGlobalSecondaryIndex({
    indexName: 'byOwner',
    partitionKey: { name: 'owner', type: AttributeType.STRING },
  });

  const bus = new EventBus(stack, 'Bus');
  const echo = fn(stack, 'Echo', 'echo-handler.ts', { ITEMS_TABLE: table.tableName, BUS_NAME: bus.eventBusName });
  const work = fn(stack, 'Work', 'work-handler.ts');
  const ask = fn(stack, 'Ask', 'ask-handler.ts');

  const api = new HttpApi(stack, 'Api');
  const authorizer = new HttpJwtAuthorizer('Jwt', 'https://issuer.example.com', { jwtAudience: ['fixture'] });
  const echoIntegration = new HttpLambdaIntegration('EchoIntegration', echo);
  api.addRoutes({ path: '/items/{itemId}', methods: [HttpMethod.GET], integration: echoIntegration, authorizer, authorizationScopes: ['colend/lead', 'colend/partner'] });
  api.addRoutes({ path: '/items', methods: [HttpMethod.POST], integration: echoIntegration, authorizer, authorizationScopes: ['colend/lead'] });
  api.addRoutes({ path: '/items/special', methods: [HttpMethod.GET], integration: echoIntegration });
  api.addRoutes({ path: '/files/{path+}', methods: [HttpMethod.GET], integration: echoIntegration });
  api.addRoutes({ path: '/echo/{action}', methods: [HttpMethod.ANY], integration: echoIntegration });
  api.addRoutes({ path: '/signed', methods: [HttpMethod.GET], integration: echoIntegration, authorizer });

  const fail = new Fail(stack, 'Rejected', { error: 'Rejected', cause: 'A value was rejected' });
  const double = new LambdaInvoke(stack, 'DoubleValue', { lambdaFunction: work, payloadResponseOnly: true });
  const eachValue = new MapState(stack, 'EachValue', {
    itemsPath: '$.values',
    itemSelector: { 'value.$': '$$.Map.Item.Value', 'fail.$': '$.fail' },
    resultPath: '$.results',
    maxConcurrency: 2,
  });
  eachValue.itemProcessor(double);
  eachValue.addCatch(fail, { errors: ['ValueRejectedError'] });
  const flow = new StateMachine(stack, 'Flow', {
    definitionBody: DefinitionBody.fromChainable(
      new Pass(stack, 'Start', { parameters: { 'values.$': '$.values', 'fail.$': '$.fail', 'scheduledTime.$': '$.scheduledTime' } })
        .next(eachValue)
        .next(new Choice(stack, 'AnyResults').when(Condition.isPresent('$.results[0]'), new Succeed(stack, 'Done')).otherwise(new Succeed(stack, 'Empty'))),
    ),
  });

  const askLender = (lenderId: string): LambdaInvoke =>
    new LambdaInvoke(stack, `Ask${lenderId}`, {
      lambdaFunction: ask,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ token: JsonPath.taskToken, lenderId }),
      resultPath: `$.decision${lenderId}`,
    });
  new StateMachine(stack, 'Approval', {
    definitionBody: DefinitionBody.fromChainable(
      new Parallel(stack, 'AskLenders').branch(askLender('BankA')).branch(askLender('BankB')),
    ),
  });

  new StateMachine(stack, 'Quick', {
    stateMachineType: StateMachineType.EXPRESS,
    definitionBody: DefinitionBody.fromChainable(new LambdaInvoke(stack, 'QuickDouble', { lambdaFunction: work, outputPath: '$.Payload' })),
  });

  new Schedule(stack, 'Daily', {
    schedule: ScheduleExpression.cron({ minute: '0', hour: '1', timeZone: TimeZone.ASIA_SHANGHAI }),
    target: new StepFunctionsStartExecution(flow, {
      input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime, values: [1, 2], fail: false }),
    }),
  });

  return app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
}
