"""A Python CDK app on the jsii-built hardened-webhooks package: an endpoint, a processor written in
Python and a scoped token. It prints what it read back through the bindings as JSON, and app.synth()
writes the template to CDK_OUTDIR for the test to inspect."""

import json

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from hardened_webhooks import (
    HardenedWebhookEndpoint,
    ScopedToken,
    TokenIssuer,
    WebhookProvider,
    WebhookWafRule,
)

PROCESSOR_CODE = """
import json

def handler(event, context):
    # The message envelope (README, "The message envelope"): refuse a version this code does not know.
    failures = []
    for record in event["Records"]:
        envelope = json.loads(record["body"])
        if envelope.get("v") != 1:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""

app = cdk.App()
stack = cdk.Stack(app, "PythonWebhooks", env=cdk.Environment(account="123456789012", region="eu-west-1"))

token = ScopedToken(stack, "OrdersWrite", token_name="orders-write", issuer=TokenIssuer.random(length=48))
endpoint = HardenedWebhookEndpoint(stack, "Stripe", provider=WebhookProvider.stripe(), waf={"rate_limit": 2000})
fulfilment = lambda_.Function(
    stack,
    "Fulfilment",
    runtime=lambda_.Runtime.PYTHON_3_12,
    handler="index.handler",
    code=lambda_.Code.from_inline(PROCESSOR_CODE),
    timeout=cdk.Duration.seconds(30),
)
processor = endpoint.add_processor(fulfilment, name="fulfilment", event_types=["payment_intent.*"], tokens=[token])

try:
    endpoint.add_processor(fulfilment, name="not a name")
    refused = None
except Exception as error:  # jsii raises the construct's error as a RuntimeError carrying its message
    refused = str(error)

blocked = endpoint.waf.metric_blocked_requests(WebhookWafRule.RATE_LIMIT)
print(json.dumps({
    "processorName": processor.name,
    "eventTypes": processor.event_types,
    "tokens": [t.token_name for t in processor.tokens],
    "requiredHeaders": WebhookProvider.stripe().required_headers,
    "blockedMetric": {"name": blocked.metric_name, "rule": blocked.dimensions["Rule"]},
    "refused": refused,
}))
app.synth()
