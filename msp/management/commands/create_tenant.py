from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from msp.models.tenancy import slug_validator
from msp.services import tenant_create


class Command(BaseCommand):
    help = "Create an MSP tenant with its owner."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--owner-username", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--timezone", default="Europe/Rome")
        parser.add_argument("--language", default="en", choices=["en", "it"])

    def handle(self, *args, **options):
        try:
            slug_validator(options["slug"])
            password_validation.validate_password(options["owner_password"])
            signup = tenant_create(
                name=options["name"],
                slug=options["slug"],
                owner_username=options["owner_username"],
                owner_email=options["owner_email"],
                owner_password=options["owner_password"],
                default_currency=options["currency"],
                timezone=options["timezone"],
                language=options["language"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Created tenant {signup.tenant.slug} with owner {signup.owner.username}.")
        )
