import { apiHandler } from '../../shared/http/api.ts';
import { openApiDocument } from '../../shared/http/openapi.ts';

const document = openApiDocument();

export const handler = apiHandler({ 'GET /v1/openapi.json': async () => ({ statusCode: 200, body: document }) });
