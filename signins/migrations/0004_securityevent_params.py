# Security events keep their particulars apart (params), to be worded in the reader's language
# when shown. Events recorded before keep their text, as {"text": …}.

from django.db import migrations, models


def keep_the_text(apps, schema_editor):
    SecurityEvent = apps.get_model("signins", "SecurityEvent")
    for event in SecurityEvent.objects.exclude(detail="").only("pk", "detail").iterator():
        SecurityEvent.objects.filter(pk=event.pk).update(params={"text": event.detail})


def restore_the_text(apps, schema_editor):
    SecurityEvent = apps.get_model("signins", "SecurityEvent")
    for event in SecurityEvent.objects.only("pk", "params").iterator():
        text = event.params.get("text") if isinstance(event.params, dict) else None
        if text:
            SecurityEvent.objects.filter(pk=event.pk).update(detail=text[:200])


class Migration(migrations.Migration):

    dependencies = [
        ("signins", "0003_locked_out_reason"),
    ]

    operations = [
        migrations.AddField(
            model_name="securityevent",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="particulars"),
        ),
        migrations.RunPython(keep_the_text, restore_the_text),
        migrations.RemoveField(model_name="securityevent", name="detail"),
    ]
