"""The checklist of a maintenance visit, as data: TSG T5002-2017 annex A, A1 the
half-monthly items of traction and positive-drive elevators (曳引与强制驱动电梯半月维护保养
项目), in the standard's Chinese. English texts live in the phone's message catalogues
(``api/static/i18n/en/technician.json``, keys ``technician.item.<key>``).

Every level includes the level below (quarterly = half-monthly items + quarterly items,
...), so these items are due on every visit. An item marked not mandatory applies only
where the elevator has the device (如有): the technician ticks it when it does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # A1-01 ... A1-31, the standard's numbering
    name: str  # 项目（内容）
    requirement: str  # 维护保养基本要求
    mandatory: bool = True


HALF_MONTHLY: tuple[ChecklistItem, ...] = (
    ChecklistItem("A1-01", "机房、滑轮间环境", "清洁，门窗完好，照明正常"),
    ChecklistItem("A1-02", "手动紧急操作装置", "齐全，在指定位置"),
    ChecklistItem("A1-03", "驱动主机", "运行时无异常振动和异常声响"),
    ChecklistItem("A1-04", "制动器各销轴部位", "动作灵活"),
    ChecklistItem("A1-05", "制动器间隙", "打开时制动衬与制动轮不发生摩擦，间隙值符合制造单位要求"),
    ChecklistItem(
        "A1-06",
        "制动器作为轿厢意外移动保护装置制停子系统时的自监测",
        "制动力人工方式检测符合使用维护说明书要求；制动力自监测系统有记录",
        mandatory=False,
    ),
    ChecklistItem("A1-07", "编码器", "清洁，安装牢固", mandatory=False),
    ChecklistItem("A1-08", "限速器各销轴部位", "润滑，转动灵活；电气开关正常"),
    ChecklistItem("A1-09", "层门和轿门旁路装置", "工作正常", mandatory=False),
    ChecklistItem("A1-10", "紧急电动运行", "工作正常", mandatory=False),
    ChecklistItem("A1-11", "轿顶", "清洁，防护栏安全可靠"),
    ChecklistItem("A1-12", "轿顶检修开关、停止装置", "工作正常"),
    ChecklistItem("A1-13", "导靴上油杯", "吸油毛毡齐全，油量适宜，油杯无泄漏", mandatory=False),
    ChecklistItem("A1-14", "对重/平衡重块及其压板", "对重/平衡重块无松动，压板紧固"),
    ChecklistItem("A1-15", "井道照明", "齐全，正常"),
    ChecklistItem("A1-16", "轿厢照明、风扇、应急照明", "工作正常"),
    ChecklistItem("A1-17", "轿厢检修开关、停止装置", "工作正常"),
    ChecklistItem("A1-18", "轿内报警装置、对讲系统", "工作正常"),
    ChecklistItem("A1-19", "轿内显示、指令按钮、IC卡系统", "齐全，有效"),
    ChecklistItem("A1-20", "轿门防撞击保护装置（安全触板，光幕、光电等）", "功能有效"),
    ChecklistItem("A1-21", "轿门门锁电气触点", "清洁，触点接触良好，接线可靠"),
    ChecklistItem("A1-22", "轿门运行", "开启和关闭工作正常"),
    ChecklistItem("A1-23", "轿厢平层准确度", "符合标准值"),
    ChecklistItem("A1-24", "层站召唤、层楼显示", "齐全，有效"),
    ChecklistItem("A1-25", "层门地坎", "清洁"),
    ChecklistItem("A1-26", "层门自动关门装置", "正常"),
    ChecklistItem(
        "A1-27", "层门门锁自动复位", "用层门钥匙打开手动开锁装置释放后，层门门锁能自动复位"
    ),
    ChecklistItem("A1-28", "层门门锁电气触点", "清洁，触点接触良好，接线可靠"),
    ChecklistItem("A1-29", "层门锁紧元件啮合长度", "不小于7mm"),
    ChecklistItem("A1-30", "底坑环境", "清洁，无渗水、积水，照明正常"),
    ChecklistItem("A1-31", "底坑停止装置", "工作正常"),
)

# The items of a visit by its work order's level. Only annex A1 is data so far: the
# quarterly, half-yearly and yearly items (A2-A4) are recorded on the paper form.
CHECKLISTS: dict[str, tuple[ChecklistItem, ...]] = {
    "half_monthly": HALF_MONTHLY,
    "quarterly": HALF_MONTHLY,
    "half_yearly": HALF_MONTHLY,
    "yearly": HALF_MONTHLY,
}


def checklist(level: str) -> tuple[ChecklistItem, ...]:
    return CHECKLISTS.get(level, HALF_MONTHLY)
