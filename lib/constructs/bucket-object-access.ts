/**
 * Access to one bucket's objects as a customer-managed policy per access level (created on first use, in
 * the bucket's stack) that function roles attach. The actions are written out: grantRead, grantPut and
 * grantDelete would give wildcard actions (s3:GetObject*, s3:List*, s3:Abort*, s3:DeleteObject*). One shared
 * policy per level also keeps the one scoped object wildcard (`<bucket>/<prefix>*`) in one place, acknowledged
 * once, instead of in a policy per function in every nested stack.
 */
import { ManagedPolicy, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './nag.js';

export interface ObjectAccessLevel {
  /** Actions on the objects the level covers. */
  objectActions: readonly string[];
  /** Actions on the bucket itself (listing). */
  bucketActions?: readonly string[];
}

export interface BucketObjectAccessProps<Level extends string> {
  bucket: IBucket;
  /** The keys every level covers, e.g. `*` or `media/*`. */
  keyPattern: string;
  levels: Record<Level, ObjectAccessLevel>;
  /** Why functions may reach every key of the pattern (the IAM5 acknowledgement, one line). */
  wildcardReason: string;
}

export class BucketObjectAccess<Level extends string> extends Construct {
  private readonly policies = new Map<Level, ManagedPolicy>();

  constructor(scope: Construct, id: string, private readonly props: BucketObjectAccessProps<Level>) {
    super(scope, id);
  }

  grant(role: IRole, level: Level): void {
    role.addManagedPolicy(this.policy(level));
  }

  private policy(level: Level): ManagedPolicy {
    const existing = this.policies.get(level);
    if (existing) return existing;
    const { bucket, keyPattern, levels, wildcardReason } = this.props;
    const { objectActions, bucketActions = [] } = levels[level];
    const objects = bucket.arnForObjects(keyPattern);
    const policy = new ManagedPolicy(this, level, {
      description: `Mailroom functions: ${level} objects ${keyPattern} of ${bucket.node.path}`,
      statements: [
        new PolicyStatement({ actions: [...objectActions], resources: [objects] }),
        ...(bucketActions.length ? [new PolicyStatement({ actions: [...bucketActions], resources: [bucket.bucketArn] })] : []),
      ],
    });
    acknowledgeWildcardResources(policy, [objects], wildcardReason);
    this.policies.set(level, policy);
    return policy;
  }
}
