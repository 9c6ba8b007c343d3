import { describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../infra/synth.ts';

describe('synthesizeTemplate', () => {
  it('returns the Colend template from the source alone, without bundling', async () => {
    const template = await synthesizeTemplate();
    const resources = template['Resources'] as Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
    const types = Object.values(resources).map((resource) => resource.Type);
    expect(types.filter((type) => type === 'AWS::DynamoDB::Table')).toHaveLength(3);
    expect(types).toContain('AWS::StepFunctions::StateMachine');
    expect(types).toContain('AWS::ApiGatewayV2::Api');
    const entries = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Metadata?.['colend:entry']);
    expect(entries).toContain('functions/lenders/handler.ts');
  });

  it("is the local stage's, whose settlement gathers with an inline Map (the local engine runs no Distributed Map)", async () => {
    const resources = (await synthesizeTemplate())['Resources'] as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    const [, settlement] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith('SettlementStateMachine'))!;
    const definition = JSON.stringify(settlement.Properties?.['DefinitionString']);
    expect(definition).toContain('\\"ItemsPath\\":\\"$.shards\\"');
    expect(definition).not.toContain('ItemReader');
  });
});
