import { Logger } from '@aws-lambda-powertools/logger';
import { apiHandler } from '../../shared/http/api.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';

const logger = new Logger();
const document = openApiDocument();

export const handler = apiHandler({ 'GET /v1/openapi.json': async () => ({ statusCode: 200, body: document }) }, logger);
