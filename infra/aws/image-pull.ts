/**
 * What a Fargate task's execution role needs to pull its image from a private ECR repository:
 * the repository's ARN is in the image reference itself (`<account>.dkr.ecr.<region>.
 * amazonaws.com/<repository>`), so nothing is configured twice. Images from anywhere else
 * (a public registry) need no grant.
 */

/** The ECR repository an image reference names, or undefined when it is not ECR's. */
export function ecrRepositoryArn(image: string): string | undefined {
  const match =
    /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(?::[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/.exec(
      image,
    );
  if (match === null) return undefined;
  const [, account, region, china, repository] = match;
  return `arn:${china ? "aws-cn" : "aws"}:ecr:${region}:${account}:repository/${repository}`;
}

/**
 * The execution role's statements to pull `images` (none when no image is ECR's): the layers
 * and manifests of exactly those repositories, and the registry login token — which IAM does
 * not scope to a resource (ecr:GetAuthorizationToken takes only `*`), and which opens no
 * repository by itself.
 */
export function ecrPullStatements(images: string[]): Record<string, unknown>[] {
  const repositories = [
    ...new Set(images.map(ecrRepositoryArn).filter((a) => a !== undefined)),
  ].sort();
  if (repositories.length === 0) return [];
  return [
    {
      Effect: "Allow",
      Action: [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
      ],
      Resource: repositories,
    },
    { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
  ];
}
