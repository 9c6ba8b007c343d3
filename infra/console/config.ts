/**
 * The console's `config.json`, beside its page: how its users sign in and where the API is. The
 * local server answers `{"signIn": "local"}` (same origin, local users); the CDK app deploys the
 * Cognito form with the stack's values (infra/constructs/console-site.ts).
 */
export type ConsoleConfig =
  | { readonly signIn: 'local'; readonly apiUrl?: string }
  | {
      readonly signIn: 'cognito';
      /** The API's base URL, without a trailing slash: `https://{api}.execute-api.{region}.amazonaws.com`. */
      readonly apiUrl: string;
      readonly authorizeUrl: string;
      readonly tokenUrl: string;
      readonly logoutUrl: string;
      readonly clientId: string;
      readonly scopes: readonly string[];
    };

export type CognitoConfig = Extract<ConsoleConfig, { signIn: 'cognito' }>;
