import { ArnFormat, Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
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
}

/**
 * The token issuer of the HTTP API: a Cognito user pool without users, a resource server
 * `colend` with the scopes `lead`, `partner` and `finance`, and one client-credentials app
 * client per configured client. A pre-token-generation trigger adds `lender_id` to the access
 * tokens of clients that belong to a lender.
 */
export class Identity extends Construct {
  readonly userPool: UserPool;
  readonly clients: ReadonlyMap<string, UserPoolClient>;
  readonly issuerUrl: string;
  readonly tokenEndpoint: string;
  readonly tokenClaims: ColendFunction;

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
      mfa: Mfa.OFF,
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

    const clientLenders = Object.fromEntries(
      props.clients.flatMap((client) => {
        const appClient = clients.get(client.name);
        return client.lenderId === undefined || appClient === undefined ? [] : [[appClient.userPoolClientId, client.lenderId]];
      }),
    );
    this.tokenClaims = new ColendFunction(stack, 'TokenClaimsFunction', {
      name: 'token-claims',
      description: 'Adds lender_id to the access tokens of clients that belong to a lender',
      functionName: tokenClaimsName,
      logRetention: props.logRetention,
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
        id: 'AwsSolutions-COG2',
        reason: 'The pool has no users and no sign-in, only client-credentials app clients, to which MFA does not apply.',
      },
      {
        id: 'AwsSolutions-COG3',
        reason: 'Threat protection evaluates user sign-ins; this pool has no users, only client-credentials grants, which it does not cover.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Plus plan adds threat protection for user sign-ins, and the pool has no users; Essentials already allows the access-token customization (lender_id) for client-credentials grants.',
      },
    );
  }
}
