"""The data contract (../shared/spec/data-contract.md) as data.

Every other part of safeschool takes its sheet and column names from here:
the store builds its tables from it, the reader matches headers against it,
the template writes it, and scoring receives DataFrames whose columns are the
English keys below.  Change the contract here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Value kinds a cell may hold.  The reader turns what people type into these.
TEXT = "text"
INT = "int"  # non-negative whole count
DATE = "date"
BOOL = "bool"  # 是/否, Y/N, ✓/✗, 1/0, true/false
MONEY = "money"  # non-negative amount, two decimals
CHOICE = "choice"  # one of Column.choices
SCORE = "score"  # non-negative decimal (deductions, assessed points)

SCHOOL_TYPES = ("幼兒園", "小學", "初中", "九年一貫制", "高中", "完全中學", "中職")
HIGH_SCHOOL_TYPES = ("高中", "完全中學", "中職")
KINDERGARTEN = "幼兒園"

CHECKLIST_ITEMS = (
    "安全工作領導小組",
    "第一責任人",
    "直接責任人",
    "責任清單",
    "風險清單",
    "文件下發全體教職工",
    "獨立安全辦公室",
    "醒目標牌",
    "安全制度上墻",
    "專用檔案柜",
    "視頻監控系統",
    "安全教育納入教學計劃",
    "年度演練計劃",
    "問題清單報局備案",
)
OFFICE_ROLES = ("主任", "工作人員")
EDUCATION_KINDS = ("安全教育課", "家長會", "安全講座", "專題教育", "教職工培訓")
FUND_USES = ("隱患整治", "安全宣傳", "應急救援", "表彰獎勵")
INSPECTION_KINDS = ("定期", "不定期", "考評")
GUARD_KIT = ("helmet", "fork", "baton", "spray", "shield", "gloves", "vest")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    kind: str = TEXT
    required: bool = True  # every record fills it (an optional one may be empty on a row)
    choices: tuple[str, ...] = ()
    en: str = ""
    # The sheet may leave the column out altogether: 安全辦人員's 離崗日期 (ours; the contract lists the
    # sheet without it) and 督查記錄's columns after 類型 (an empty one means no finding, no deduction,
    # no veto, no assessment; refusing the bureau workbook would refuse every school with it).  Any other
    # column missing refuses the file: its absence would be read as every row empty (no end date: a
    # departed guard still counted; no company: every guard directly hired), which changes the score
    # without a word.
    may_be_absent: bool = False
    # Characters a text cell may hold: what the store's column takes on every database (MariaDB's TEXT is
    # 65,535 bytes; a school's name is shown in rankings and kept in a 200-character column).
    max_length: int = 5000
    # What a person writes after a count (600人, 12個班), read as the count: one column's own units only, so a
    # count in another unit (12人 of classes) is refused, never read as if it were the column's.
    units: tuple[str, ...] = ()

    @property
    def label_en(self) -> str:
        return self.en or self.key.replace("_", " ")


@dataclass(frozen=True)
class Sheet:
    key: str
    zh: str
    owner: str  # "school" (a school workbook) or "bureau" (the bureau workbook)
    columns: tuple[Column, ...]
    single_row: bool = False
    en: str = ""
    # Columns that together name one record inside a school, for messages and diffs.
    natural_key: tuple[str, ...] = field(default=())

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"sheet {self.key} has no column {key}")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def _c(key, zh, kind=TEXT, required=True, choices=(), en="", may_be_absent=False, max_length=5000, units=()):
    return Column(key, zh, kind, required, tuple(choices), en, may_be_absent, max_length, tuple(units))


PEOPLE = ("人", "名")  # 600人, 45名
CLASSES = ("個班", "个班", "個", "个", "班")  # 12個班, 12個, 12班 (the longer first: 班 alone would leave 個)


SCHOOL_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "school", "學校概況", "school",
        (
            _c("school_code", "學校代碼", en="school code"),
            _c("name", "學校名稱", en="school name", max_length=200),
            _c("type", "學校類別", CHOICE, choices=SCHOOL_TYPES, en="school type"),
            _c("township", "所屬鄉鎮", en="township", max_length=200),
            _c("boarding", "寄宿制", BOOL, en="boarding school"),
        ),
        single_row=True, en="School",
    ),
    Sheet(
        "campuses", "校區", "school",
        (
            _c("campus", "校區名稱", en="campus"),
            _c("students", "在校學生數", INT, en="students", units=PEOPLE),
            _c("staff", "教職工數", INT, en="staff", units=PEOPLE),
            _c("boarders", "寄宿生數", INT, required=False, en="boarders", units=PEOPLE),
            _c("security_room", "安全保衛室", BOOL, en="security room"),
            _c("alarm", "一鍵報警", BOOL, en="one-button alarm"),
        ),
        en="Campuses", natural_key=("campus",),
    ),
    Sheet(
        "checklist", "基礎工作", "school",
        (
            _c("item", "項目", CHOICE, choices=CHECKLIST_ITEMS, en="item"),
            _c("done", "是否完成", BOOL, en="done"),
            _c("reference", "文號或說明", required=False, en="document no. or note"),
            _c("date", "日期", DATE, required=False, en="date"),
        ),
        en="Checklist", natural_key=("item",),
    ),
    Sheet(
        "agreements", "責任書", "school",
        (
            _c("year", "年度", INT, en="year"),
            _c("staff_total", "教職工總數", INT, en="staff in total", units=PEOPLE),
            _c("signed", "已簽訂人數", INT, en="staff who signed", units=PEOPLE),
        ),
        en="Responsibility agreements", natural_key=("year",),
    ),
    Sheet(
        "office_staff", "安全辦人員", "school",
        (
            _c("name", "姓名", en="name"),
            _c("role", "職務", CHOICE, choices=OFFICE_ROLES, en="role"),
            _c("start_date", "到崗日期", DATE, en="start date"),
            _c("end_date", "離崗日期", DATE, required=False, en="end date",
               may_be_absent=True),  # ours, not the contract's: the sheet as the contract lists it is whole
        ),
        en="Safety office staff", natural_key=("name",),
    ),
    Sheet(
        "drills", "應急演練", "school",
        (
            _c("date", "演練日期", DATE, en="drill date"),
            _c("campus", "校區", required=False, en="campus"),
            _c("kind", "演練類型", en="drill kind"),
            _c("has_plan", "有預案", BOOL, en="detailed plan beforehand"),
            _c("evaluation", "評定結果", required=False, en="evaluation result"),
            _c("classes", "參演班級數", INT, en="participating classes", units=CLASSES),
            _c("signed_classes", "簽到班級數", INT, en="classes signed in", units=CLASSES),
            _c("participants", "參演人數", INT, required=False, en="participants", units=PEOPLE),
        ),
        en="Emergency drills", natural_key=("date", "campus"),
    ),
    Sheet(
        "education", "安全教育", "school",
        (
            _c("date", "日期", DATE, en="date"),
            _c("kind", "類型", CHOICE, choices=EDUCATION_KINDS, en="kind"),
            _c("topic", "主題", required=False, en="topic"),
            _c("safety_content", "含安全內容", BOOL, required=False, en="has safety content"),
            _c("attendees", "參加人數", INT, required=False, en="attendees", units=PEOPLE),
            _c("expected", "應參加人數", INT, required=False, en="expected attendees", units=PEOPLE),
        ),
        en="Safety education", natural_key=("date", "kind"),
    ),
    Sheet(
        "guards", "保安人員", "school",
        (
            _c("name", "姓名", en="name"),
            _c("campus", "校區", en="campus"),
            _c("birth_date", "出生日期", DATE, en="birth date"),
            _c("company", "保安公司", required=False, en="security company"),
            _c("start_date", "上崗日期", DATE, en="start date"),
            _c("end_date", "離崗日期", DATE, required=False, en="end date"),
            _c("helmet", "頭盔", BOOL, en="helmet"),
            _c("fork", "鋼叉", BOOL, en="steel fork"),
            _c("baton", "橡皮棍", BOOL, en="rubber baton"),
            _c("spray", "辣椒水", BOOL, en="pepper spray"),
            _c("shield", "防護盾牌", BOOL, en="shield"),
            _c("gloves", "防割手套", BOOL, en="cut-resistant gloves"),
            _c("vest", "防刺背心", BOOL, en="stab-proof vest"),
        ),
        en="Security guards", natural_key=("name", "campus"),
    ),
    Sheet(
        "guard_training", "保安培訓", "school",
        (
            _c("name", "姓名", en="guard's name"),
            _c("start_date", "開始日期", DATE, en="start date"),
            _c("end_date", "結束日期", DATE, en="end date"),
            _c("off_duty", "脫產", BOOL, en="off duty"),
            _c("content", "內容", required=False, en="content"),
        ),
        en="Guard training", natural_key=("name", "start_date"),
    ),
    Sheet(
        "guard_drills", "保安演練", "school",
        (
            _c("date", "日期", DATE, en="date"),
            _c("campus", "校區", required=False, en="campus"),
            _c("content", "內容", required=False, en="content"),
        ),
        en="Guard drills", natural_key=("date", "campus"),
    ),
    Sheet(
        "gate_duty", "護學崗", "school",
        (
            _c("date", "日期", DATE, en="date"),
            _c("campus", "校區", required=False, en="campus"),
            _c("slot", "時段", required=False, en="time slot"),
            _c("police", "民警到崗", BOOL, en="police present"),
        ),
        en="Gate duty", natural_key=("date", "campus", "slot"),
    ),
    Sheet(
        "hazards", "隱患整改", "school",
        (
            _c("id", "編號", en="number"),
            _c("found_date", "發現日期", DATE, en="date found"),
            _c("description", "隱患描述", en="description"),
            _c("category", "類別", required=False, en="category"),
            _c("owner", "責任人", required=False, en="responsible person"),
            _c("deadline", "整改時限", DATE, required=False, en="deadline"),
            _c("closed_date", "完成日期", DATE, required=False, en="date closed"),
        ),
        en="Hazard ledger", natural_key=("id",),
    ),
    Sheet(
        "funds", "安全經費", "school",
        (
            _c("date", "日期", DATE, en="date"),
            _c("use", "用途", CHOICE, choices=FUND_USES, en="use"),
            _c("amount", "金額", MONEY, en="amount"),
        ),
        en="Safety funds", natural_key=("date", "use"),
    ),
)

BUREAU_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "registry", "學校名冊", "bureau",
        (
            _c("school_code", "學校代碼", en="school code"),
            _c("name", "學校名稱", en="school name", max_length=200),
            _c("type", "學校類別", CHOICE, choices=SCHOOL_TYPES, en="school type"),
            _c("township", "所屬鄉鎮", en="township", max_length=200),
        ),
        en="School registry", natural_key=("school_code",),
    ),
    Sheet(
        "inspections", "督查記錄", "bureau",
        (
            _c("date", "日期", DATE, en="date"),
            _c("school_code", "學校代碼", en="school code"),
            _c("kind", "類型", CHOICE, choices=INSPECTION_KINDS, en="kind"),
            _c("finding", "發現問題", required=False, en="finding", may_be_absent=True),
            _c("deduction", "扣分", SCORE, required=False, en="deduction", may_be_absent=True),
            _c("falsification", "弄虛作假", BOOL, required=False, en="falsification", may_be_absent=True),
            _c("major_incident", "重大安全事故", BOOL, required=False, en="major safety incident", may_be_absent=True),
            _c("indicator", "指標", required=False, en="indicator", may_be_absent=True),
            _c("assessed_points", "考評得分", SCORE, required=False, en="assessed points", may_be_absent=True),
        ),
        en="Inspections", natural_key=("date", "school_code"),
    ),
)

SHEETS: dict[str, Sheet] = {s.key: s for s in SCHOOL_SHEETS + BUREAU_SHEETS}

# Record sheets: every sheet whose rows become store records keyed by school_code.
# (In a school workbook school_code comes from the 學校概況 sheet; in the
# bureau workbook and in SQL sources it is a column.)
RECORD_SHEETS = tuple(SHEETS)


def sheet(key: str) -> Sheet:
    return SHEETS[key]
