/**
 * cdk-nag acknowledgements that need more than an id: its IAM5 rule reports each wildcard resource as its own
 * finding, `AwsSolutions-IAM5[Resource::<arn as cdk-nag prints it>]`, so a scoped wildcard (a bucket's
 * objects, an account's SES identities) is acknowledged exactly, never the rule as a whole.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';

/**
 * The ids of CDK's own deploy-time Lambdas, singletons at the root of a stack: AwsCustomResource's provider
 * (activating the receipt rule set) and the bucket notifications handler (the media bucket's S3 events).
 */
export const CDK_PROVIDER_IDS = [`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`, 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834'] as const;

/** A resolved CloudFormation value printed as cdk-nag prints it: `{Ref: X}` → `<X>`, `{Fn::GetAtt: [X, Y]}` → `<X.Y>`, joins concatenated. */
function nagText(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if (node['Fn::Join']) {
    const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(nagText).join(delimiter);
  }
  if (node['Fn::GetAtt']) return `<${node['Fn::GetAtt'][0]}.${node['Fn::GetAtt'][1]}>`;
  if (node.Ref) return `<${node.Ref}>`;
  throw new Error(`No cdk-nag rendering for ${JSON.stringify(value)}`);
}

/**
 * Acknowledges the IAM5 finding of each wildcard resource on the policies under `scope`. The ARNs may only
 * refer to resources of scope's own stack (or pseudo parameters): a reference across stacks is printed as
 * the parameter it becomes, which is not known yet.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  Validations.of(scope).acknowledge(...resources.map((arn) => ({ id: `AwsSolutions-IAM5[Resource::${nagText(stack.resolve(arn))}]`, reason })));
}

/** Acknowledges the AWS managed policy CDK gives the roles of its providers in `stack`; call it once every construct is made. */
export function acknowledgeCdkProviders(stack: Stack): void {
  for (const id of CDK_PROVIDER_IDS) {
    const provider = stack.node.tryFindChild(id);
    if (!provider) continue;
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CDK's own deploy-time provider; its role and log group are CDK's.",
    });
  }
}
