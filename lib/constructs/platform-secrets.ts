/**
 * Secrets generated at deploy time: the root API key (`mr_root_` + the `secret` field) and the pepper
 * every API key is HMAC'd with. Neither ever appears in the template or in environment variables.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export class PlatformSecrets extends Construct {
  readonly rootKey: Secret;
  readonly pepper: Secret;

  constructor(scope: Construct, id: string, props: { retain: boolean }) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.rootKey = new Secret(this, 'RootKey', {
      description: 'Mailroom root API key: the key is "mr_root_" followed by the "secret" field.',
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'secret', excludePunctuation: true, passwordLength: 48 },
      removalPolicy,
    });
    this.pepper = new Secret(this, 'Pepper', {
      description: 'Mailroom server-side pepper for API key HMACs. Rotating it invalidates every team key.',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
      removalPolicy,
    });
    Validations.of(this.rootKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Only the operator uses the root key, and rotating it is their call (a new version): automatic rotation would lock them out unannounced.',
    });
    Validations.of(this.pepper).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Every API key is stored as an HMAC with the pepper: rotating it would invalidate every team key at once.',
    });
  }
}
