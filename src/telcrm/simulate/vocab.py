"""The fixed vocabulary of the synthetic operator: districts, names, streets, plans, calendar.

The operator is China Mobile Shanghai (domain.md, introduction): sixteen districts with a
population-like mix (2020 census, millions of residents), its three brands 全球通 (GoTone),
神州行 (EasyOwn) and 动感地带 (M-Zone), and the Chinese calendar that moves the Spring
Festival (春节) between January and February, where calling, SMS and roaming peak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class District:
    code: str  # core.Region.code (core migration 0002)
    name: str
    area_code: str  # GB/T 2260 division code, the first six digits of a local ID number
    population: float  # 2020 census, millions
    streets: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District("SH-HP", "黄浦区", "310101", 0.66, ("南京东路", "淮海中路", "西藏南路", "复兴中路", "河南南路")),
    District("SH-XH", "徐汇区", "310104", 1.11, ("漕溪北路", "虹桥路", "肇嘉浜路", "田林路", "龙华西路")),
    District("SH-CN", "长宁区", "310105", 0.69, ("延安西路", "天山路", "仙霞路", "中山西路", "愚园路")),
    District("SH-JA", "静安区", "310106", 0.98, ("南京西路", "延平路", "共和新路", "万航渡路", "大统路")),
    District("SH-PT", "普陀区", "310107", 1.24, ("曹杨路", "真北路", "武宁路", "桃浦路", "铜川路")),
    District("SH-HK", "虹口区", "310109", 0.76, ("四川北路", "曲阳路", "东大名路", "临平路", "广粤路")),
    District("SH-YP", "杨浦区", "310110", 1.24, ("黄兴路", "国权路", "控江路", "长阳路", "淞沪路")),
    District("SH-MH", "闵行区", "310112", 2.65, ("莘松路", "七莘路", "都市路", "虹梅南路", "沪闵路")),
    District("SH-BS", "宝山区", "310113", 2.24, ("牡丹江路", "友谊路", "共康路", "淞宝路", "呼兰路")),
    District("SH-JD", "嘉定区", "310114", 1.83, ("城中路", "博乐路", "塔城路", "沪宜公路", "胜辛路")),
    District("SH-PD", "浦东新区", "310115", 5.68, (
        "张杨路", "世纪大道", "浦东南路", "东方路", "杨高中路", "川沙路", "锦绣路", "金桥路",
    )),
    District("SH-JS", "金山区", "310116", 0.82, ("卫零路", "龙胜路", "蒙山路", "金山大道", "石化大道")),
    District("SH-SJ", "松江区", "310117", 1.91, ("中山中路", "人民北路", "荣乐东路", "新松江路", "文诚路")),
    District("SH-QP", "青浦区", "310118", 1.27, ("城中北路", "公园路", "外青松公路", "华浦路", "盈港东路")),
    District("SH-FX", "奉贤区", "310120", 1.14, ("解放东路", "环城东路", "望园路", "南亭公路", "金海公路")),
    District("SH-CM", "崇明区", "310151", 0.64, ("八一路", "人民路", "南门路", "鼓浪屿路", "东门路")),
)
REGION_WEIGHTS = np.array([d.population for d in DISTRICTS]) / sum(d.population for d in DISTRICTS)

# Residents registered elsewhere (新上海人) carry their birthplace's division code.
OTHER_AREA_CODES = ("320102", "330106", "340104", "410105", "510104", "420102", "360102", "370102")
LOCAL_ID_SHARE = 0.85

# The hundred commonest surnames with their pinyin, most frequent first (weights ~ Zipf,
# with the Shanghai surnames 陆, 顾, 沈, 钱 among them).
SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"),
    ("叶", "ye"), ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"),
    ("任", "ren"), ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"),
    ("钟", "zhong"), ("谭", "tan"), ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("金", "jin"),
    ("石", "shi"), ("廖", "liao"), ("贾", "jia"), ("夏", "xia"), ("韦", "wei"), ("付", "fu"),
    ("方", "fang"), ("白", "bai"), ("邹", "zou"), ("孟", "meng"), ("熊", "xiong"), ("秦", "qin"),
    ("邱", "qiu"), ("江", "jiang"), ("尹", "yin"), ("薛", "xue"), ("闫", "yan"), ("段", "duan"),
    ("雷", "lei"), ("侯", "hou"), ("龙", "long"), ("史", "shi"), ("陶", "tao"), ("黎", "li"),
    ("贺", "he"), ("顾", "gu"), ("毛", "mao"), ("郝", "hao"), ("龚", "gong"), ("邵", "shao"),
    ("万", "wan"), ("钱", "qian"), ("严", "yan"), ("覃", "qin"), ("武", "wu"), ("戴", "dai"),
    ("莫", "mo"), ("孔", "kong"), ("向", "xiang"), ("汤", "tang"),
)
SURNAME_WEIGHTS = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
SURNAME_WEIGHTS /= SURNAME_WEIGHTS.sum()

GIVEN_MALE = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳洋建国文东海峰志毅博晨")
GIVEN_FEMALE = tuple("芳娜敏静丽艳娟霞燕玲婷雪慧莹倩琳颖洁晶欣怡佳丹萍红梅兰月婉雅思雨萱璐琪")
TWO_CHAR_GIVEN_SHARE = 0.7

EMAIL_DOMAINS = ("139.com", "qq.com", "163.com", "126.com", "sina.com")

# Segments of individual customers (domain.md section 2), with their share of customers,
# age band and brand mix (gotone, easyown, mzone).
SEGMENTS = ("mass", "youth", "business", "family", "senior")
SEGMENT_WEIGHTS = np.array([0.40, 0.18, 0.12, 0.20, 0.10])
SEGMENT_AGES = np.array([(18, 70), (16, 28), (28, 56), (30, 50), (60, 86)])
SEGMENT_BRANDS = np.array([
    [0.25, 0.50, 0.25],
    [0.05, 0.20, 0.75],
    [0.80, 0.15, 0.05],
    [0.35, 0.45, 0.20],
    [0.15, 0.80, 0.05],
])

BRANDS = ("gotone", "easyown", "mzone")
BRAND_POSTPAID_SHARE = np.array([0.95, 0.10, 0.30])


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    brand: str
    fee: int  # yuan per month
    minutes: int  # included voice minutes
    data_mb: int  # included data
    weight: float  # share of the brand's lines


PLANS: tuple[Plan, ...] = (
    Plan("GT58", "全球通58元套餐", "gotone", 58, 200, 10_240, 0.25),
    Plan("GT88", "全球通88元套餐", "gotone", 88, 400, 20_480, 0.30),
    Plan("GT128", "全球通128元套餐", "gotone", 128, 700, 40_960, 0.22),
    Plan("GT188", "全球通188元套餐", "gotone", 188, 1_000, 61_440, 0.15),
    Plan("GT288", "全球通288元套餐", "gotone", 288, 2_000, 102_400, 0.08),
    Plan("EO19", "神州行19元畅聊卡", "easyown", 19, 100, 1_024, 0.60),
    Plan("EO29", "神州行29元畅享卡", "easyown", 29, 200, 5_120, 0.40),
    Plan("MZ18", "动感地带18元校园卡", "mzone", 18, 50, 10_240, 0.35),
    Plan("MZ38", "动感地带38元潮玩卡", "mzone", 38, 100, 30_720, 0.45),
    Plan("MZ58", "动感地带58元芒果卡", "mzone", 58, 150, 51_200, 0.20),
)

# Tariffs beyond the allowance (yuan): per minute, per MB, per SMS.
VOICE_RATE, DATA_RATE, SMS_RATE = 0.15, 0.003, 0.10

# Lunar New Year's Day (正月初一): the Spring Festival month is the one it falls in.
SPRING_FESTIVAL = {
    2010: dt.date(2010, 2, 14), 2011: dt.date(2011, 2, 3), 2012: dt.date(2012, 1, 23),
    2013: dt.date(2013, 2, 10), 2014: dt.date(2014, 1, 31), 2015: dt.date(2015, 2, 19),
    2016: dt.date(2016, 2, 8), 2017: dt.date(2017, 1, 28), 2018: dt.date(2018, 2, 16),
    2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25), 2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26), 2029: dt.date(2029, 2, 13), 2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23), 2032: dt.date(2032, 2, 11), 2033: dt.date(2033, 1, 31),
    2034: dt.date(2034, 2, 19), 2035: dt.date(2035, 2, 8),
}

# Enterprises (domain.md section 1): industry, name parts and what account managers note.
INDUSTRIES = (
    "finance", "government", "manufacturing", "retail", "logistics", "education", "health",
    "it", "energy", "hospitality",
)
INDUSTRY_WORDS = {
    "finance": ("金融服务", "投资管理", "融资租赁"), "government": ("公共服务", "城市建设", "信息中心"),
    "manufacturing": ("机械制造", "汽车零部件", "精密仪器"), "retail": ("商贸", "百货", "连锁超市"),
    "logistics": ("物流", "国际货运", "供应链管理"), "education": ("教育科技", "职业培训", "文化传播"),
    "health": ("医疗器械", "医药", "健康管理"), "it": ("科技", "信息技术", "软件"),
    "energy": ("能源", "电力工程", "燃气"), "hospitality": ("酒店管理", "餐饮管理", "旅游"),
}
TRADE_NAMES = (
    "华信", "恒通", "中远", "浦江", "申达", "东方", "联创", "汇丰", "宝钢", "金桥", "新华", "海天", "锦江", "光明",
    "长江", "振华", "天元", "国泰", "瑞华", "凯达", "鼎盛", "明珠", "飞跃", "宏图", "永安", "安信", "众诚", "鸿运",
    "博远", "盛世", "中环", "星辰", "立信", "嘉禾", "协和", "华东", "申通", "沪港", "世纪", "和平",
)
SIZES = ("small", "medium", "large", "group")
ACCOUNT_MANAGERS = tuple(f"am{i:02d}" for i in range(1, 13))
CONTACT_TITLES = (
    ("总经理", "decision_maker"), ("副总经理", "decision_maker"), ("财务总监", "decision_maker"),
    ("IT主管", "influencer"), ("行政经理", "influencer"), ("采购经理", "influencer"),
    ("网络管理员", "user"), ("办公室主任", "user"),
)
STRATEGIC_NOTES = (
    "计划明年扩建数据中心，关注专线带宽升级", "集团统一采购通信服务，年底集中招标",
    "对资费敏感，续约时需提供折扣方案", "正在评估云专线和物联网方案", "高层关系良好，可推进5G专网试点",
    "新设分支机构三处，需开通专线和集团V网", "",
)
COMPETITORS = ("", "", "中国电信：宽带专线", "中国联通：集团短信", "中国电信：天翼云", "中国联通：IDC托管")
CIRCUIT_KINDS = ("internet", "digital", "ddn", "fr_atm")
CIRCUIT_WEIGHTS = np.array([0.40, 0.25, 0.20, 0.15])
CIRCUIT_BANDWIDTHS = {  # kbit/s: DDN n x 64k, FR/ATM and digital from E1 up, internet from 10M
    "ddn": (64, 128, 256, 512, 1024, 2048),
    "fr_atm": (2048, 8448, 34368, 155520),
    "digital": (2048, 8448, 34368, 155520),
    "internet": (10_240, 20_480, 51_200, 102_400, 1_024_000),
}

# Interactions: channel and direction codes are customers.models Channel and Direction
# values (a test keeps them in step); each topic has its own channel mix and outcomes.
CHANNELS = ("call_centre", "business_hall", "sms", "email", "web", "app", "letter", "visit")
TOPICS = ("complaint", "inquiry", "billing", "fault", "termination_request", "plan_change", "care")
TOPIC_CHANNELS = np.array([
    [0.65, 0.20, 0, 0, 0.05, 0.10, 0, 0],
    [0.50, 0.10, 0, 0, 0.15, 0.25, 0, 0],
    [0.50, 0.20, 0, 0, 0, 0.30, 0, 0],
    [0.70, 0.10, 0, 0, 0, 0.20, 0, 0],
    [0.40, 0.60, 0, 0, 0, 0, 0, 0],
    [0.30, 0.30, 0, 0, 0, 0.40, 0, 0],
    [0.30, 0, 0.55, 0.10, 0, 0, 0.05, 0],
])
TOPIC_OUTBOUND = np.array([False, False, False, False, False, False, True])
OUTCOMES = ("resolved", "escalated", "pending", "retained")
TOPIC_OUTCOMES = np.array([
    [0.70, 0.15, 0.15, 0], [0.95, 0, 0.05, 0], [0.90, 0, 0.10, 0], [0.75, 0.20, 0.05, 0],
    [0.70, 0, 0.30, 0], [1.0, 0, 0, 0], [1.0, 0, 0, 0],
])
TOPIC_NOTES = {
    "complaint": ("投诉未订购的SP增值业务扣费", "投诉信号差，家中无法通话", "投诉账单金额与套餐不符",
                  "投诉促销活动取消了原有优惠"),
    "inquiry": ("咨询套餐资费", "咨询积分兑换", "咨询国际漫游开通"),
    "billing": ("查询本月话费明细", "欠费提醒", "申请电子发票"),
    "fault": ("报障：无法上网", "报障：通话断续", "报障：短信收不到"),
    "termination_request": ("申请销户", "咨询携号转网", "要求销号并退还余额"),
    "plan_change": ("申请变更套餐", "办理流量加油包"),
    "care": ("生日关怀短信", "节日关怀回访", "满意度回访"),
}


def month_start(month: str) -> dt.date:
    year, mon = month.split("-")
    return dt.date(int(year), int(mon), 1)


def window(end_month: str, months: int) -> list[dt.date]:
    """The first day of each month of the simulated window, oldest first."""
    end = month_start(end_month)
    index = end.year * 12 + end.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def spring_festival_months(starts: list[dt.date]) -> np.ndarray:
    """True for each month that holds Lunar New Year's Day."""
    marks = []
    for start in starts:
        if start.year not in SPRING_FESTIVAL:
            raise ValueError(f"no Spring Festival date known for {start.year} (2010-2035 are)")
        day = SPRING_FESTIVAL[start.year]
        marks.append(day.year == start.year and day.month == start.month)
    return np.array(marks)
