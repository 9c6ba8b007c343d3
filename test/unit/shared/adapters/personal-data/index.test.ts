import { DecryptCommand, GenerateDataKeyCommand, GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { deployedKms } from '../../../../../shared/adapters/personal-data/index.ts';

const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

describe('the KMS client of a deployed stage', () => {
  it('sends each of the cipher\'s three operations as the matching KMS command, with the input as given', async () => {
    const plaintext = new Uint8Array([1, 2, 3]);
    const blob = new Uint8Array([9, 9]);
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plaintext, CiphertextBlob: blob, KeyId: 'arn:key' });
    kms.on(DecryptCommand).resolves({ Plaintext: plaintext, KeyId: 'arn:key' });
    kms.on(GenerateMacCommand).resolves({ Mac: blob });
    const ops = deployedKms(new KMSClient({ region: 'cn-north-1' }));
    const context = { purpose: 'colend-personal-data' };
    expect(await ops.generateDataKey({ KeyId: 'arn:key', KeySpec: 'AES_256', EncryptionContext: context })).toMatchObject({ Plaintext: plaintext, CiphertextBlob: blob, KeyId: 'arn:key' });
    expect(await ops.decrypt({ KeyId: 'arn:key', CiphertextBlob: blob, EncryptionContext: context })).toMatchObject({ Plaintext: plaintext });
    expect(await ops.generateMac({ KeyId: 'arn:hash', Message: plaintext, MacAlgorithm: 'HMAC_SHA_256' })).toMatchObject({ Mac: blob });
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({ KeyId: 'arn:key', KeySpec: 'AES_256', EncryptionContext: context });
    expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input).toEqual({ KeyId: 'arn:key', CiphertextBlob: blob, EncryptionContext: context });
    expect(kms.commandCalls(GenerateMacCommand)[0]!.args[0].input).toEqual({ KeyId: 'arn:hash', Message: plaintext, MacAlgorithm: 'HMAC_SHA_256' });
  });
});
