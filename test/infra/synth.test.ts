import { describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../infra/synth.ts';

describe('synthesizeTemplate', () => {
  it('returns the Colend template from the source alone, without bundling', async () => {
    const template = await synthesizeTemplate();
    const resources = template['Resources'] as Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
    const types = Object.values(resources).map((resource) => resource.Type);
    expect(types.filter((type) => type === 'AWS::DynamoDB::Table')).toHaveLength(2);
    expect(types).toContain('AWS::StepFunctions::StateMachine');
    expect(types).toContain('AWS::ApiGatewayV2::Api');
    const entries = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Metadata?.['colend:entry']);
    expect(entries).toContain('functions/lenders/handler.ts');
  });
});
