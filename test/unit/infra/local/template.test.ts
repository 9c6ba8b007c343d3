import { describe, expect, it } from 'vitest';
import { functionNameFromArn, stateMachineIdFromArn, TemplateError, TemplateResolver } from '../../../../infra/local/template.ts';
import type { CfnTemplate } from '../../../../infra/local/template.ts';

const template: CfnTemplate = {
  Parameters: { Stage: { Type: 'String', Default: 'dev' }, BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>' } },
  Conditions: {
    IsDev: { 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] },
    IsProd: { 'Fn::Not': [{ Condition: 'IsDev' }] },
    DevInUsEast: { 'Fn::And': [{ Condition: 'IsDev' }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }] },
    Either: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'DevInUsEast' }] },
  },
  Mappings: { Sizes: { dev: { Memory: 256 } } },
  Resources: {
    LedgerTable38A58B60: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Global1: { Type: 'AWS::DynamoDB::GlobalTable', Properties: {} },
    LendersFunction6620BF24: { Type: 'AWS::Lambda::Function', Properties: {} },
    FlowA74D6E88: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    Role1: { Type: 'AWS::IAM::Role', Properties: {} },
    Pool1: { Type: 'AWS::Cognito::UserPool', Properties: {} },
    Queue1: { Type: 'AWS::SQS::Queue', Properties: {} },
    Widget1: { Type: 'Custom::Widget', Properties: {} },
    EventBus7B8748AA: { Type: 'AWS::Events::EventBus', Properties: { Name: { 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, 'EventBus12DFFDD0']] } } },
    ProdOnly: { Type: 'AWS::DynamoDB::Table', Condition: 'IsProd', Properties: {} },
  },
};

const resolver = new TemplateResolver(template);
const resolve = (value: unknown): unknown => resolver.resolve(value);

describe('Ref', () => {
  it('names tables, functions, roles by their logical id and state machines by ARN', () => {
    expect(resolve({ Ref: 'LedgerTable38A58B60' })).toBe('LedgerTable38A58B60');
    expect(resolve({ Ref: 'LendersFunction6620BF24' })).toBe('LendersFunction6620BF24');
    expect(resolve({ Ref: 'FlowA74D6E88' })).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:FlowA74D6E88');
    expect(resolve({ Ref: 'Role1' })).toBe('Role1');
    expect(resolve({ Ref: 'Queue1' })).toBe('http://localhost/000000000000/Queue1');
  });

  it('names an event bus by the Name of the template, as its Ref does in AWS', () => {
    expect(resolve({ Ref: 'EventBus7B8748AA' })).toBe('ColendEventBus12DFFDD0');
    expect(resolve({ 'Fn::GetAtt': ['EventBus7B8748AA', 'Name'] })).toBe('ColendEventBus12DFFDD0');
    expect(resolve({ 'Fn::GetAtt': ['EventBus7B8748AA', 'Arn'] })).toBe('arn:aws:events:us-east-1:000000000000:event-bus/ColendEventBus12DFFDD0');
  });

  it('resolves pseudo parameters and parameter defaults', () => {
    expect(resolve({ Ref: 'AWS::Region' })).toBe('us-east-1');
    expect(resolve({ Ref: 'AWS::AccountId' })).toBe('000000000000');
    expect(resolve({ Ref: 'AWS::Partition' })).toBe('aws');
    expect(resolve({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com');
    expect(resolve({ Ref: 'AWS::StackName' })).toBe('Colend');
    expect(resolve({ Ref: 'Stage' })).toBe('dev');
    expect(resolve({ Ref: 'BootstrapVersion' })).toBe('local-parameter-BootstrapVersion');
  });

  it('drops AWS::NoValue from objects and lists', () => {
    expect(resolve({ a: 1, b: { Ref: 'AWS::NoValue' }, c: [1, { Ref: 'AWS::NoValue' }, 3] })).toEqual({ a: 1, c: [1, 3] });
  });

  it('refuses a reference to nothing', () => {
    expect(() => resolve({ Ref: 'Missing' })).toThrow(TemplateError);
  });
});

describe('Fn::GetAtt', () => {
  it('gives local ARNs for functions, state machines, tables and roles, in both forms', () => {
    expect(resolve({ 'Fn::GetAtt': ['LendersFunction6620BF24', 'Arn'] })).toBe('arn:aws:lambda:us-east-1:000000000000:function:LendersFunction6620BF24');
    expect(resolve({ 'Fn::GetAtt': 'FlowA74D6E88.Arn' })).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:FlowA74D6E88');
    expect(resolve({ 'Fn::GetAtt': ['FlowA74D6E88', 'Name'] })).toBe('FlowA74D6E88');
    expect(resolve({ 'Fn::GetAtt': ['LedgerTable38A58B60', 'Arn'] })).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/LedgerTable38A58B60');
    expect(resolve({ 'Fn::GetAtt': ['Global1', 'StreamArn'] })).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/Global1/stream/local');
    expect(resolve({ 'Fn::GetAtt': ['Role1', 'Arn'] })).toBe('arn:aws:iam::000000000000:role/Role1');
    expect(resolve({ 'Fn::GetAtt': ['Pool1', 'ProviderURL'] })).toBe('https://cognito-idp.us-east-1.amazonaws.com/Pool1');
  });

  it('gives other attributes a stable placeholder', () => {
    expect(resolve({ 'Fn::GetAtt': ['Widget1', 'Endpoint.Address'] })).toBe('local-Widget1-Endpoint.Address');
    expect(resolve({ 'Fn::GetAtt': ['Widget1', 'Arn'] })).toBe('arn:aws:widget:us-east-1:000000000000:Widget1');
    expect(resolve({ 'Fn::GetAtt': ['Widget1', 'Arn'] })).toBe(resolve({ 'Fn::GetAtt': ['Widget1', 'Arn'] }));
  });
});

describe('string functions', () => {
  it('joins, including the Fn::Join of a state machine definition', () => {
    const definition = resolve({
      'Fn::Join': ['', ['{"Resource":"', { 'Fn::GetAtt': ['LendersFunction6620BF24', 'Arn'] }, '","Partition":"', { Ref: 'AWS::Partition' }, '"}']],
    });
    expect(JSON.parse(String(definition))).toEqual({
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:LendersFunction6620BF24',
      Partition: 'aws',
    });
  });

  it('substitutes references, attributes, variables and escapes', () => {
    expect(resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${LedgerTable38A58B60}' })).toBe(
      'arn:aws:dynamodb:us-east-1:000000000000:table/LedgerTable38A58B60',
    );
    expect(resolve({ 'Fn::Sub': '${LendersFunction6620BF24.Arn}:live' })).toBe('arn:aws:lambda:us-east-1:000000000000:function:LendersFunction6620BF24:live');
    expect(resolve({ 'Fn::Sub': ['${Name}-${AWS::Region}-${!Literal}', { Name: { Ref: 'Stage' } }] })).toBe('dev-us-east-1-${Literal}');
  });

  it('selects, splits and encodes', () => {
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] })).toBe('b');
    expect(resolve({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] })).toBe('us-east-1a');
    expect(resolve({ 'Fn::Base64': 'colend' })).toBe('Y29sZW5k');
    expect(resolve({ 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] })).toBe(256);
    expect(resolve({ 'Fn::ToJsonString': { a: { Ref: 'Stage' } } })).toBe('{"a":"dev"}');
    expect(() => resolve({ 'Fn::Select': [5, ['a']] })).toThrow(/out of range/);
  });

  it('refuses intrinsic functions it does not know', () => {
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 4, 8] })).toThrow(/Unsupported intrinsic function Fn::Cidr/);
  });
});

describe('conditions', () => {
  it('evaluates Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not and named conditions', () => {
    expect(resolve({ 'Fn::If': ['IsDev', 'small', 'large'] })).toBe('small');
    expect(resolve({ 'Fn::If': ['IsProd', 'large', { Ref: 'AWS::NoValue' }] })).toBeUndefined();
    expect(resolve({ keep: { 'Fn::If': ['IsProd', 'x', { Ref: 'AWS::NoValue' }] }, other: 1 })).toEqual({ other: 1 });
    expect(resolver.condition('DevInUsEast')).toBe(true);
    expect(resolver.condition('Either')).toBe(true);
  });

  it('leaves out resources whose condition is false', () => {
    expect(resolver.resourcesOfType('AWS::DynamoDB::Table').map(([id]) => id)).toEqual(['LedgerTable38A58B60']);
  });
});

describe('names inside ARNs', () => {
  it('reads function names from ARNs, qualified ARNs, partial ARNs and names', () => {
    expect(functionNameFromArn('arn:aws:lambda:us-east-1:000000000000:function:Work')).toBe('Work');
    expect(functionNameFromArn('arn:aws:lambda:us-east-1:000000000000:function:Work:$LATEST')).toBe('Work');
    expect(functionNameFromArn('000000000000:function:Work')).toBe('Work');
    expect(functionNameFromArn('Work')).toBe('Work');
    expect(functionNameFromArn('Work:live')).toBe('Work');
    expect(functionNameFromArn('arn:aws:states:::lambda:invoke')).toBeUndefined();
    expect(stateMachineIdFromArn('arn:aws:states:us-east-1:000000000000:stateMachine:Flow')).toBe('Flow');
    expect(stateMachineIdFromArn('arn:aws:states:us-east-1:000000000000:execution:Flow:x')).toBeUndefined();
  });
});
