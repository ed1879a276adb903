"""Seed the operator's regions: the sixteen districts of Shanghai (the source operator)."""

from django.db import migrations

REGIONS = [
    ("SH-HP", "黄浦区", "Huangpu"), ("SH-XH", "徐汇区", "Xuhui"), ("SH-CN", "长宁区", "Changning"),
    ("SH-JA", "静安区", "Jing'an"), ("SH-PT", "普陀区", "Putuo"), ("SH-HK", "虹口区", "Hongkou"),
    ("SH-YP", "杨浦区", "Yangpu"), ("SH-MH", "闵行区", "Minhang"), ("SH-BS", "宝山区", "Baoshan"),
    ("SH-JD", "嘉定区", "Jiading"), ("SH-PD", "浦东新区", "Pudong"), ("SH-JS", "金山区", "Jinshan"),
    ("SH-SJ", "松江区", "Songjiang"), ("SH-QP", "青浦区", "Qingpu"), ("SH-FX", "奉贤区", "Fengxian"),
    ("SH-CM", "崇明区", "Chongming"),
]


def seed(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    for code, name, name_en in REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
