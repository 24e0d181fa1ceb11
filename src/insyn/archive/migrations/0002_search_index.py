from django.db import migrations


def create(apps, schema_editor):
    from insyn.archive.search import create_index_tables

    create_index_tables(schema_editor.connection)


def drop(apps, schema_editor):
    from insyn.archive.search import drop_index_tables

    drop_index_tables(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
