import { DecryptCommand, GenerateDataKeyCommand, GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import type { PersonalDataCipher } from '../../ports/personal-data.ts';
import { KMS_CIPHER_DEFAULTS, KmsEnvelopeCipher, type KmsOperations } from './kms.ts';
import { LocalKeyFileCipher } from './local-key-file.ts';

export { KmsEnvelopeCipher, KMS_CIPHER_DEFAULTS, KMS_KEY_VERSION, type KmsOperations } from './kms.ts';
export { LocalKeyFileCipher, ensureLocalKeyFile, rotateLocalKeyFile, LOCAL_KEY_ID } from './local-key-file.ts';

/** The environment that says where the personal-data keys are (docs/personal-data.md). */
export const PERSONAL_DATA_ENV = {
  /** In AWS: the ARN of the stack's customer-managed encryption key. */
  keyId: 'PERSONAL_DATA_KEY_ID',
  /** In AWS: the ARN of the stack's HMAC key of the keyed hashes. */
  hashKeyId: 'PERSONAL_DATA_HASH_KEY_ID',
  /** On the local stack: the key file of its state folder that stands in for KMS. */
  file: 'PERSONAL_DATA_KEY_FILE',
} as const;

/** The label of the stack's hash key; a new hash key would be a new label (docs/personal-data.md, Rotation). */
export const HASH_KEY_VERSION = 'k1';

/**
 * The cipher of the environment: the local stack's key file when it set one, else the stage's KMS
 * keys through `kms`, the client that sends the three KMS operations.
 */
export function personalDataCipherFromEnv(env: NodeJS.ProcessEnv, kms: () => KmsOperations): PersonalDataCipher {
  const file = env[PERSONAL_DATA_ENV.file];
  if (file !== undefined && file !== '') return new LocalKeyFileCipher(file);
  const keyId = env[PERSONAL_DATA_ENV.keyId];
  const hashKeyId = env[PERSONAL_DATA_ENV.hashKeyId];
  if (keyId === undefined || keyId === '' || hashKeyId === undefined || hashKeyId === '') {
    throw new Error(`${PERSONAL_DATA_ENV.keyId} and ${PERSONAL_DATA_ENV.hashKeyId} are not set: the stack names the stage's personal-data keys`);
  }
  return new KmsEnvelopeCipher(kms(), { keyId, hashKeyId, hashKeyVersion: HASH_KEY_VERSION, ...KMS_CIPHER_DEFAULTS });
}

/** The KMS client of a deployed stage: the three operations the cipher sends, and nothing else. */
export function deployedKms(client: KMSClient = new KMSClient({})): KmsOperations {
  return {
    generateDataKey: (input) => client.send(new GenerateDataKeyCommand(input)),
    decrypt: (input) => client.send(new DecryptCommand(input)),
    generateMac: (input) => client.send(new GenerateMacCommand(input)),
  };
}
