"""One Django group per role: staff users get the roles of the groups they are in."""

from django.db import migrations

ROLES = ("Admin", "TaskRead", "TaskWrite", "WorkerRead", "WorkerWrite", "SystemRead")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts_app", "0002_key_lifecycle"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
