import { ArnFormat, Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolClientIdentityProvider,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CLIENT_LENDERS_ENV } from '../../functions/token-claims/schema.ts';
import { CLIENT_SCOPES } from '../config.ts';
import type { AppClientConfig, ClientScope } from '../config.ts';
import type { CognitoConfig } from '../console/config.ts';
import { ColendFunction } from '../constructs/colend-function.ts';

export const RESOURCE_SERVER_ID = 'colend';

/** The scope string a token carries, for example `colend/lead`. */
export function scopeName(scope: ClientScope): string {
  return `${RESOURCE_SERVER_ID}/${scope}`;
}

const SCOPE_DESCRIPTIONS: Record<ClientScope, string> = {
  lead: 'Lead operations: lenders, programs, loans, ledger checks',
  partner: "A partner lender: its own lender's data only",
  finance: "A finance team: reads, ledger checks; restricted to its lender's data when it has one",
};

function scopeOf(scopes: ReadonlyMap<ClientScope, ResourceServerScope>, name: ClientScope): ResourceServerScope {
  const scope = scopes.get(name);
  if (scope === undefined) {
    throw new Error(`Unknown scope ${name}`);
  }
  return scope;
}

export interface IdentityProps {
  readonly stageName: string;
  readonly clients: readonly AppClientConfig[];
  readonly logRetention: RetentionDays;
  /** X-Ray tracing of the token-claims function, as every function of the stage. */
  readonly tracing: boolean;
  /** The finance console's address (`https://{domain}/console/`): its users sign in there and come back to it. */
  readonly consoleUrl: string;
}

/** The groups every stage has; a lender's people are in `finance:{lenderId}` or `partner:{lenderId}`, made per lender. */
const PLATFORM_GROUPS: Readonly<Record<string, string>> = {
  lead: 'Lead operations: every lender, lenders, programs, loans',
  finance: "The platform's finance team: every lender's settlement and statements",
};

/**
 * The token issuer of the HTTP API: a Cognito user pool, a resource server `colend` with the
 * scopes `lead`, `partner` and `finance`, one client-credentials app client per configured client,
 * and the finance console's app client, through which the pool's users sign in (authorization
 * code with PKCE, TOTP required). A pre-token-generation trigger adds `lender_id` to the access
 * tokens of clients that belong to a lender, and gives a user's token the scope and lender of its
 * group (functions/token-claims).
 */
export class Identity extends Construct {
  readonly userPool: UserPool;
  readonly clients: ReadonlyMap<string, UserPoolClient>;
  readonly issuerUrl: string;
  readonly tokenEndpoint: string;
  readonly tokenClaims: ColendFunction;
  /** The console's app client: a public client (no secret) of the hosted login. */
  readonly consoleClient: UserPoolClient;
  /** What the console needs to sign its users in (its config.json, less the API's address). */
  readonly consoleSignIn: Omit<CognitoConfig, 'signIn' | 'apiUrl'>;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // The pool refers to the trigger by a name-derived ARN, not by the function resource: the
    // function's environment holds the app client ids, which need the pool first. This is the
    // one physical name in the stack; it is derived from the stack name, so stages never clash.
    const tokenClaimsName = `${stack.stackName}-token-claims`;
    const tokenClaimsArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: tokenClaimsName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      featurePlan: FeaturePlan.ESSENTIALS,
      // The console's users move money: a password and a one-time code from an authenticator app.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.NONE,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const scopes = new Map(
      CLIENT_SCOPES.map((name) => [name, new ResourceServerScope({ scopeName: name, scopeDescription: SCOPE_DESCRIPTIONS[name] })]),
    );
    const resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER_ID,
      scopes: [...scopes.values()],
    });
    const domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: Fn.join('-', ['colend', props.stageName, Aws.ACCOUNT_ID]) },
    });

    const clients = new Map<string, UserPoolClient>();
    for (const client of props.clients) {
      const appClient = this.userPool.addClient(`Client-${client.name}`, {
        userPoolClientName: client.name,
        generateSecret: true,
        oAuth: {
          flows: { clientCredentials: true },
          scopes: client.scopes.map((name) => OAuthScope.resourceServer(resourceServer, scopeOf(scopes, name))),
        },
        accessTokenValidity: Duration.hours(1),
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
      clients.set(client.name, appClient);
    }
    this.clients = clients;

    const colendScopes = CLIENT_SCOPES.map((name) => OAuthScope.resourceServer(resourceServer, scopeOf(scopes, name)));
    this.consoleClient = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'finance-console',
      generateSecret: false,
      authFlows: { userSrp: true },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true },
        // The token trigger keeps only the scope of the user's group.
        scopes: [OAuthScope.OPENID, ...colendScopes],
        callbackUrls: [props.consoleUrl],
        logoutUrls: [props.consoleUrl],
      },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    for (const [groupName, description] of Object.entries(PLATFORM_GROUPS)) {
      new CfnUserPoolGroup(this, `Group-${groupName}`, { userPoolId: this.userPool.userPoolId, groupName, description });
    }
    this.consoleSignIn = {
      authorizeUrl: `${domain.baseUrl()}/oauth2/authorize`,
      tokenUrl: `${domain.baseUrl()}/oauth2/token`,
      logoutUrl: `${domain.baseUrl()}/logout`,
      clientId: this.consoleClient.userPoolClientId,
      scopes: ['openid', ...CLIENT_SCOPES.map(scopeName)],
    };

    const clientLenders = Object.fromEntries(
      props.clients.flatMap((client) => {
        const appClient = clients.get(client.name);
        return client.lenderId === undefined || appClient === undefined ? [] : [[appClient.userPoolClientId, client.lenderId]];
      }),
    );
    this.tokenClaims = new ColendFunction(stack, 'TokenClaimsFunction', {
      name: 'token-claims',
      description: "Adds lender_id to the access tokens of clients that belong to a lender; scopes a console user's token by its group",
      functionName: tokenClaimsName,
      logRetention: props.logRetention,
      tracing: props.tracing,
      memorySize: 256,
      timeout: Duration.seconds(5),
      environment: { [CLIENT_LENDERS_ENV]: stack.toJsonString(clientLenders) },
    });

    const trigger = LambdaFunction.fromFunctionAttributes(this, 'TokenClaimsTrigger', {
      functionArn: tokenClaimsArn,
      sameEnvironment: true,
    });
    this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, trigger, LambdaVersion.V3_0);
    const permission = this.userPool.node.findChild('PreTokenGenerationConfigCognito') as CfnPermission;
    permission.node.addDependency(this.tokenClaims);

    this.issuerUrl = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
    this.tokenEndpoint = `${domain.baseUrl()}/oauth2/token`;

    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG3',
        reason: "Threat protection (the Plus plan) is not bought: the pool's users are named staff, created by administrators only, signing in with a password and a required one-time code.",
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          "The Plus plan adds threat protection; the pool's few named staff sign in with a required one-time code, and Essentials already allows the access-token customization (lender_id, a user's scope).",
      },
    );
  }
}
