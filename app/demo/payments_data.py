"""The demo county's plan: townships, villages, payees, leading-group decisions and 40 projects.

Plain data for `demo_payments`; each project names the indicators (by 文号) that fund it and the share of
what each indicator has left when the plan is made, so the plan follows whatever the 专账 demo leaves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

D = dt.date

TOWNS: dict[str, tuple[str, ...]] = {
    "城关镇": ("幸福村", "团结村", "安居新村"),
    "英巴格乡": ("英巴格村", "喀拉墩村", "库木巴格村"),
    "托格拉克乡": ("托格拉克村", "阿亚克村", "其兰巴格村"),
    "巴格其镇": ("巴格其村", "恰尔巴格村", "阿热勒村"),
    "阔什艾日克乡": ("阔什艾日克村", "吐格曼贝希村", "玉吉米勒克村"),
}
GIVEN = ("阿依古丽", "买买提", "热依拉", "艾尔肯", "古丽米拉", "努尔买买提", "帕提古丽", "阿不都热依木", "吐尔逊",
         "米热古丽", "艾力", "阿迪力", "祖丽胡玛尔", "库尔班", "阿依努尔", "玉素甫", "迪丽努尔", "麦麦提敏")
FATHER = ("吐尔逊", "艾力", "阿不都拉", "吾斯曼", "买买提", "依明", "热合曼", "阿西木", "托合提", "卡德尔", "司马义", "肉孜")
HAN = ("王建军", "李秀英", "张桂兰", "刘志强", "陈玉梅", "杨国庆", "赵春花", "马福海", "周红霞", "马建华")

# (name, payee type, USCC body prefix, account, bank); the check character is computed, except for the
# one genuine old code whose check character fails (kept on purpose: a reviewer must confirm it).
ENTERPRISES: tuple[tuple[str, str, str, str, str], ...] = (
    ("示例县富民种养殖农民专业合作社", "enterprise", "93659001MA7", "6228480088012345671", "中国农业银行示例县支行"),
    ("新疆天山路桥建设工程有限公司", "enterprise", "91650100MA7", "3002014509200012345", "中国工商银行示例县支行"),
    ("示例县绿洲果业发展有限公司", "enterprise", "91659001MA7", "6517010001201000045", "新疆农村信用社示例县联社"),
    ("新疆安居建筑安装有限责任公司", "enterprise", "91650102MA7", "6500143000005201234", "中国建设银行示例县支行"),
    ("示例县阳光畜牧养殖专业合作社", "enterprise", "93659001MA8", "6228480088034567892", "中国农业银行示例县支行"),
    ("新疆润泽水利水电工程有限公司", "enterprise", "91650105MA7", "3002014509200098765", "中国工商银行示例县支行"),
    ("示例县人民医院", "enterprise", "12659001MB0", "6517010001201000678", "新疆农村信用社示例县联社"),
    ("中国人民财产保险股份有限公司示例县支公司", "enterprise", "91659001MA6", "6500143000005209876", "中国建设银行示例县支行"),
    ("新疆天山人力资源服务有限公司", "enterprise", "91650104MA7", "6231390088012000451", "新疆农村信用社示例县联社"),
    ("新疆丝路工程设计咨询有限公司", "enterprise", "91650103MA7", "6222023002000112233", "中国工商银行示例县支行"),
    ("示例县巴格其电子商务服务有限公司", "enterprise", "91659001MA9", "6228480088056789013", "中国农业银行示例县支行"),
    ("示例县阿力木农机作业服务部", "individual_business", "92659001MA7", "6217010001201003344", "新疆农村信用社示例县联社"),
    ("示例县鑫源农资经销部", "individual_business", "92659001MA5", "6217010001201005566", "新疆农村信用社示例县联社"),
    ("中国农业银行股份有限公司示例县支行", "enterprise", "91659001MA4", "6228480088000000018", "中国农业银行示例县支行"),
)
OLD_CODE = "示例县鑫源农资经销部"  # its USCC fails the GB 32100 check: the 收款人证件校验 warning at work
(COOP, ROADS, ORCHARD, BUILD, HERD, WATER, HOSPITAL, INSURER, HR, DESIGN, ESHOP, TRACTOR, SUPPLY, BANK) = range(14)

# Leading-group decisions: (文号, date, title). The plan is approved in batches as money arrives.
DECISIONS = (
    ("示扶组发〔2026〕2号", D(2026, 2, 6), "关于审定2026年度第一批财政衔接推进乡村振兴项目计划的决定"),
    ("示扶组发〔2026〕5号", D(2026, 3, 20), "关于审定2026年度第二批扶贫项目计划的决定"),
    ("示扶组发〔2026〕7号", D(2026, 4, 28), "关于审定2026年度第三批扶贫项目计划的决定"),
    ("示扶组发〔2026〕10号", D(2026, 6, 5), "关于审定2026年度统筹整合涉农资金项目计划的决定"),
    ("示扶组发〔2026〕11号", D(2026, 7, 6), "关于审定农村危房改造和易地搬迁债券项目的决定"),
    ("示扶组发〔2026〕14号", D(2026, 7, 24), "关于审定农村公路债券项目和兜底保障项目的决定"),
    ("示扶组发〔2026〕15号", D(2026, 8, 28), "关于审定2026年度第五批扶贫项目计划的决定"),
    ("示扶组发〔2026〕19号", D(2026, 10, 23), "关于审定2026年度第六批扶贫项目计划的决定"),
)
ADJUSTMENT = ("示扶组发〔2026〕13号", D(2026, 7, 28), "关于调整部分扶贫项目计划的决定")
ZH_EXCEPTION_DOC = "示扶组发〔2026〕9号"  # 脱贫摘帽县整合资金用于农村人居环境整治的决定


@dataclass(frozen=True)
class Proj:
    code: str
    name: str
    category: str
    town: str
    village: str
    content: str
    funding: tuple[tuple[str, float], ...]
    profile: str
    decision: int  # index into DECISIONS; -1: still 入库
    payee: int
    infra: bool = False
    work_relief: bool = False
    bond_item: str | None = None
    asset: str = "public"
    construction: str = "new"
    usage: str = ""
    exception: str = ""
    absorb: bool = False  # takes what the indicator has left unplanned, so the plan covers it whole


Z3, Z11, Z22, Z95 = "新财农〔2026〕3号", "新财农〔2026〕11号", "新财农〔2026〕22号", "新财农〔2026〕95号"
PROJECTS: tuple[Proj, ...] = (
    Proj("XM2026-001", "巴格其村设施农业大棚续建项目", "industry", "巴格其镇", "巴格其村", "续建日光温室 24 座及配套滴灌",
         (("新财农〔2025〕88号", 0.9),), "carryover", 0, COOP, True, asset="operating", construction="continued",
         usage="industry", absorb=True),
    Proj("XM2026-002", "英巴格村通村道路硬化项目", "infrastructure", "英巴格乡", "英巴格村", "硬化通村道路 4.6 公里，宽 4.5 米",
         ((Z3, 0.28),), "works", 0, ROADS, True, usage="rural_infrastructure"),
    Proj("XM2026-003", "托格拉克乡庭院经济到户补助项目", "industry", "托格拉克乡", "托格拉克村", "扶持脱贫户发展庭院种植养殖",
         ((Z3, 0.16),), "household", 0, COOP, asset="household"),
    Proj("XM2026-004", "2026年度扶贫项目管理费", "management_fee", "城关镇", "", "项目前期设计、评审、招标、监理、验收等",
         ((Z3, 0.075),), "fee", 0, DESIGN, usage="management_fee"),
    Proj("XM2026-005", "阳光畜牧养殖合作社肉羊养殖项目", "industry", "阔什艾日克乡", "阔什艾日克村", "新建标准化羊舍 12 座，购置基础母羊",
         ((Z3, 0.14),), "coop_high", 0, HERD, asset="operating", usage="industry"),
    Proj("XM2026-006", "脱贫劳动力职业技能培训项目", "employment", "城关镇", "", "开展电焊、烹饪、驾驶等技能培训 600 人次",
         ((Z3, 0.07),), "training", 0, HR, asset="public", usage="employment"),
    Proj("XM2026-007", "喀拉墩村以工代赈防渗渠项目", "infrastructure", "英巴格乡", "喀拉墩村", "新建防渗渠 6.2 公里，吸纳脱贫群众务工",
         ((Z11, 0.52),), "relief", 1, WATER, True, True, usage="work_relief", absorb=True),
    Proj("XM2026-008", "阿亚克村以工代赈田间道路项目", "infrastructure", "托格拉克乡", "阿亚克村", "修建田间生产道路 5.8 公里",
         ((Z11, 0.42),), "relief_low", 1, ROADS, True, True, usage="work_relief"),
    Proj("XM2026-009", "乡村公益性岗位补贴项目", "employment", "城关镇", "", "设置护路、保洁、护林等乡村公益性岗位",
         (("示县财预〔2026〕5号", 0.9),), "jobs", 1, HR, usage="labour_pay", absorb=True),
    Proj("XM2026-010", "玉吉米勒克村民族手工艺发展项目", "industry", "阔什艾日克乡", "玉吉米勒克村", "扶持脱贫户发展艾德莱斯绸手工编织",
         (("新财农〔2026〕15号", 0.9),), "household", 1, COOP, asset="household", absorb=True),
    Proj("XM2026-011", "脱贫人口医疗救助项目", "three_guarantees", "城关镇", "", "对脱贫人口和监测对象住院自付费用按比例救助",
         (("新财社〔2026〕61号", 0.9),), "medical", 2, HOSPITAL, usage="health", absorb=True),
    Proj("XM2026-012", "农村安全饮水巩固提升项目", "infrastructure", "托格拉克乡", "其兰巴格村", "更换供水管网 18 公里，新建蓄水池 2 座",
         ((Z22, 0.33),), "works", 2, WATER, True, usage="rural_infrastructure"),
    Proj("XM2026-013", "林果业提质增效到户补助项目", "industry", "英巴格乡", "库木巴格村", "对脱贫户果园实施品种改良和标准化管理",
         ((Z22, 0.24),), "household", 2, ORCHARD, asset="household"),
    Proj("XM2026-014", "恰尔巴格村果品保鲜冷库项目", "industry", "巴格其镇", "恰尔巴格村", "新建 500 吨果品保鲜冷库一座",
         ((Z22, 0.28),), "works_high", 2, BUILD, True, asset="operating", usage="industry"),
    Proj("XM2026-015", "安居新村安置区配套道路项目", "relocation_followup", "城关镇", "安居新村", "安置区内道路、路灯、排水配套",
         (("新发改投资〔2026〕52号", 0.58),), "works", 2, ROADS, True, usage="relocation_infrastructure", absorb=True),
    Proj("XM2026-016", "安居新村安置区幼儿园建设项目", "relocation_followup", "城关镇", "安居新村", "新建安置区幼儿园一所（6 个班）",
         (("新发改投资〔2026〕52号", 0.36),), "works", 2, BUILD, True, usage="relocation_public_services"),
    Proj("XM2026-017", "英巴格乡高标准农田配套项目", "infrastructure", "英巴格乡", "英巴格村", "配套建设农田林网、机耕道",
         (("新财农〔2026〕31号", 0.42),), "works", 3, WATER, True, usage="rural_infrastructure"),
    Proj("XM2026-018", "特色种植到户补助项目", "industry", "托格拉克乡", "阿亚克村", "扶持脱贫户种植辣椒、打瓜等特色作物",
         (("新财农〔2026〕31号", 0.3),), "household", 3, SUPPLY, asset="household"),
    Proj("XM2026-019", "阔什艾日克乡渠系改造项目", "infrastructure", "阔什艾日克乡", "吐格曼贝希村", "改造支渠 9 公里及配套闸口",
         (("新财农〔2026〕36号", 0.85),), "works", 3, WATER, True, usage="rural_infrastructure", absorb=True),
    Proj("XM2026-020", "农村危房改造项目", "three_guarantees", "巴格其镇", "阿热勒村", "对脱贫户和监测户 C、D 级危房实施改造",
         (("新财建〔2026〕40号", 0.9),), "housing", 4, BUILD, asset="household", usage="housing_safety", absorb=True),
    Proj("XM2026-021", "安居新村供排水管网项目", "relocation_followup", "城关镇", "安居新村", "安置区供水、排水管网及污水处理设施",
         (("新财债〔2026〕9号", 0.9),), "works", 4, WATER, True, bond_item="YD02", usage="relocation_infrastructure", absorb=True),
    Proj("XM2026-022", "县道X215线改建工程", "infrastructure", "英巴格乡", "", "改建县道 12.4 公里（三级公路）",
         (("新财债〔2026〕14号", 0.5),), "works", 5, ROADS, True, bond_item="ZQ2601", usage="rural_roads"),
    Proj("XM2026-023", "托格拉克乡通村公路项目", "infrastructure", "托格拉克乡", "托格拉克村", "新建通村沥青路 7.8 公里",
         (("新财债〔2026〕14号", 0.4),), "works", 5, ROADS, True, bond_item="ZQ2601", usage="rural_roads", absorb=True),
    Proj("XM2026-024", "特困人员兜底保障项目", "three_guarantees", "阔什艾日克乡", "", "对无劳动能力脱贫人口发放兜底保障金",
         (("新财社〔2026〕73号", 0.9),), "household", 5, COOP, asset="household", absorb=True),
    Proj("XM2026-025", "脱贫人口补充医疗保险项目", "three_guarantees", "城关镇", "", "为脱贫人口购买补充医疗保险",
         (("新财社〔2026〕79号", 0.9),), "insurance", 6, INSURER, usage="health", absorb=True),
    Proj("XM2026-026", "幸福村小型公益设施项目", "infrastructure", "城关镇", "幸福村", "修建村内巷道、排水渠和文化广场硬化",
         (("示地财农〔2026〕27号", 0.48),), "works_32", 6, BUILD, True, usage="rural_infrastructure"),
    Proj("XM2026-027", "巴格其镇农村电商服务站项目", "industry", "巴格其镇", "巴格其村", "建设镇级电商服务中心和 6 个村级服务站",
         (("示地财农〔2026〕27号", 0.4),), "coop", 6, ESHOP, asset="operating", usage="industry", absorb=True),
    Proj("XM2026-028", "冬季农田水利设施建设项目", "infrastructure", "英巴格乡", "喀拉墩村", "冬闲期修建农田排碱渠",
         ((Z95, 0.22),), "works", 7, WATER, True, usage="rural_infrastructure"),
    Proj("XM2026-029", "畜牧良种补贴到户项目", "industry", "阔什艾日克乡", "阔什艾日克村", "对脱贫户引进良种母牛给予补贴",
         ((Z95, 0.18),), "household", 7, HERD, asset="household"),
    Proj("XM2026-030", "其兰巴格村乡村旅游配套项目", "industry", "托格拉克乡", "其兰巴格村", "建设游客服务点、停车场",
         ((Z95, 0.18),), "coop", 7, BUILD, True, asset="operating", usage="industry"),
    Proj("XM2026-031", "设施农业二期项目（储备）", "industry", "巴格其镇", "阿热勒村", "新建日光温室 30 座（待领导小组研究）",
         ((Z95, 0.08),), "none", -1, COOP, True, asset="operating"),
    Proj("XM2026-032", "农产品初加工项目（储备）", "industry", "英巴格乡", "库木巴格村", "新建干果初加工车间（待领导小组研究）",
         ((Z95, 0.08),), "pooled", -1, ORCHARD, asset="operating", usage="industry"),
    Proj("XM2026-033", "扶贫小额信贷贴息项目", "industry", "城关镇", "", "对脱贫户小额信贷按 LPR 全额贴息",
         ((Z3, 0.05),), "interest", 0, BANK, usage="loan_interest"),
    Proj("XM2026-034", "脱贫劳动力外出务工交通补助项目", "employment", "城关镇", "", "对跨省、跨地区务工脱贫劳动力给予交通补助",
         ((Z22, 0.05),), "household", 2, HR, asset="household"),
    Proj("XM2026-035", "农机作业服务补助项目", "industry", "托格拉克乡", "托格拉克村", "对脱贫户耕种收作业给予补助",
         (("新财农〔2026〕31号", 0.1),), "coop", 3, TRACTOR, asset="operating", usage="industry", absorb=True),
    Proj("XM2026-036", "团结村农村人居环境整治项目", "other", "城关镇", "团结村", "改厕 120 户，村内垃圾收集点建设",
         ((Z95, 0.1),), "coop", 7, BUILD, usage="rural_environment"),
    Proj("XM2026-037", "非贫困村人居环境整治项目（整合资金例外）", "other", "巴格其镇", "恰尔巴格村", "村内道路两侧绿化、排水渠清淤",
         (("新财农〔2026〕31号", 0.05),), "coop", 3, BUILD, usage="rural_environment", exception=ZH_EXCEPTION_DOC),
    Proj("XM2026-038", "农资统购到户补助项目", "industry", "英巴格乡", "喀拉墩村", "统一采购化肥、地膜发放到脱贫户",
         ((Z3, 0.04),), "supply", 0, SUPPLY, usage="industry", absorb=True),
    Proj("XM2026-039", "库木巴格村红枣提质项目", "industry", "英巴格乡", "库木巴格村", "红枣嫁接改优 800 亩",
         ((Z22, 0.05),), "coop", 2, ORCHARD, asset="operating", usage="industry", absorb=True),
    Proj("XM2026-040", "村级光伏电站运维项目", "industry", "阔什艾日克乡", "玉吉米勒克村", "村级光伏电站清洗、巡检和设备更换",
         ((Z95, 0.08),), "coop", 7, BUILD, asset="operating", usage="industry", absorb=True),
)
