"""The AWS provider: EC2 launch templates, Auto Scaling, ELBv2 and friends through boto3."""
